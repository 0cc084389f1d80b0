/** Purchase options of step 6. Self-hosted: these are labels the task keeps, not invoices. */
export const BILLING_METHODS = [{ id: 'PayAsYouGo', label: 'Pay-as-you-go' }] as const;
export type BillingMethodId = (typeof BILLING_METHODS)[number]['id'];

export const RESOURCE_GROUPS = [{ id: 'default', label: 'default resource group' }] as const;
export type ResourceGroupId = (typeof RESOURCE_GROUPS)[number]['id'];
