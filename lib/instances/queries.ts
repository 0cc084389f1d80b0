import { db } from '@/lib/db/client';
import { caCertificateLabel } from '@/lib/tasks/endpoint';

export interface InstanceListItem {
  id: string;
  instanceId: string;
  name: string;
  region: string;
  databaseType: 'Redis' | 'Tair';
  mode: 'standalone' | 'cluster';
  host: string;
  port: number;
  address: string;
  tls: boolean;
  /** The CA certificate set to verify its TLS certificate with, as a person recognizes it (null: system CAs). */
  caLabel: string | null;
  /** Whether credentials are stored (they themselves never leave the server). */
  hasPassword: boolean;
  username: string | null;
}

type Row = Awaited<ReturnType<ReturnType<typeof db>['instance']['findMany']>>[number];

function toItem(r: Row): InstanceListItem {
  return {
    id: r.id, instanceId: r.instanceId, name: r.name, region: r.region,
    databaseType: r.databaseType === 'Tair' ? 'Tair' : 'Redis', mode: r.mode === 'cluster' ? 'cluster' : 'standalone',
    host: r.host, port: r.port, address: `${r.host}:${r.port}`, tls: r.tls, caLabel: r.tlsCa ? caCertificateLabel(r.tlsCa) : null,
    hasPassword: Boolean(r.passwordEnc), username: r.username,
  };
}

/** Registered instances of a region; credentials never leave the server. */
export async function listInstances(region: string): Promise<InstanceListItem[]> {
  const rows = await db().instance.findMany({ where: { region }, orderBy: { instanceId: 'asc' } });
  return rows.map(toItem);
}

/** Every registered instance (the wizard filters by Instance Region). */
export async function listAllInstances(): Promise<InstanceListItem[]> {
  const rows = await db().instance.findMany({ orderBy: [{ region: 'asc' }, { instanceId: 'asc' }] });
  return rows.map(toItem);
}

/** One registered instance, or null. */
export async function readInstance(id: string): Promise<InstanceListItem | null> {
  const row = await db().instance.findUnique({ where: { id } });
  return row ? toItem(row) : null;
}
