/** Instance classes (link specs): the rate the engine allows a task (PRODUCT.md, "Instance classes"). */
export const LINK_SPECS = [
  { id: 'micro', label: 'micro', maxRps: 200 },
  { id: 'small', label: 'small', maxRps: 2_000 },
  { id: 'medium', label: 'medium', maxRps: 5_000 },
  { id: 'large', label: 'large', maxRps: 11_000 },
  { id: 'xlarge', label: 'xlarge', maxRps: 17_000 },
  { id: '2xlarge', label: '2xlarge', maxRps: 34_000 },
  { id: '4xlarge', label: '4xlarge', maxRps: 68_000 },
  { id: 'unlimited', label: 'unlimited', maxRps: null },
] as const;

export type LinkSpecId = (typeof LINK_SPECS)[number]['id'];
export const LINK_SPEC_IDS = LINK_SPECS.map((s) => s.id) as [LinkSpecId, ...LinkSpecId[]];
export const DEFAULT_LINK_SPEC: LinkSpecId = 'large';

export function maxRpsLabel(maxRps: number | null): string {
  return maxRps === null ? 'No throttle' : `Max ${maxRps.toLocaleString('en-US')} RPS`;
}
