import { db } from '@/lib/db/client';

export interface InstanceListItem {
  id: string;
  instanceId: string;
  name: string;
  databaseType: string;
  mode: string;
  address: string;
  tls: boolean;
}

/** Registered instances of a region; credentials never leave the server. */
export async function listInstances(region: string): Promise<InstanceListItem[]> {
  const rows = await db().instance.findMany({ where: { region }, orderBy: { instanceId: 'asc' } });
  return rows.map((r) => ({
    id: r.id,
    instanceId: r.instanceId,
    name: r.name,
    databaseType: r.databaseType,
    mode: r.mode,
    address: `${r.host}:${r.port}`,
    tls: r.tls,
  }));
}
