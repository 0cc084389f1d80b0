/** Regions a task or instance can be filed under. Self-hosted: a label for where the databases live. */
export interface Region {
  id: string;
  label: string;
}

export const REGIONS: readonly Region[] = [
  { id: 'local', label: 'Local (this host)' },
  { id: 'cn-hangzhou', label: 'China (Hangzhou)' },
  { id: 'cn-shanghai', label: 'China (Shanghai)' },
  { id: 'cn-beijing', label: 'China (Beijing)' },
  { id: 'cn-shenzhen', label: 'China (Shenzhen)' },
  { id: 'cn-hongkong', label: 'China (Hong Kong)' },
  { id: 'ap-southeast-1', label: 'Singapore' },
  { id: 'eu-central-1', label: 'Germany (Frankfurt)' },
  { id: 'us-west-1', label: 'US (Silicon Valley)' },
  { id: 'us-east-1', label: 'US (Virginia)' },
];

export const DEFAULT_REGION = REGIONS[0].id;

export function regionById(id: string | undefined | null): Region {
  return REGIONS.find((r) => r.id === id) ?? REGIONS[0];
}
