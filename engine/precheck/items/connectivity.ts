import { addressOf, ConnectError } from '../connect';
import { SIDE_LABEL, type Role } from '../context';
import type { RedisEndpoint } from '../types';
import { failed, passed, type PrecheckItemDef } from './item';

/** The side's encryption and how its certificate is checked, for the item's details. */
function encryption(ep: RedisEndpoint): string {
  if (!ep.tls) return 'Non-encrypted';
  const client = ep.tls.cert ? ', client certificate presented' : '';
  if (ep.tls.insecure) return `SSL, certificate not verified (Skip certificate verification)${client}`;
  return `${ep.tls.ca ? 'SSL, certificate verified with the CA certificate given' : 'SSL, certificate verified with the system\'s trusted CAs'}${client}`;
}

function connectivity(role: Role): PrecheckItemDef {
  const label = SIDE_LABEL[role];
  return {
    id: role === 'source' ? 'source-connectivity' : 'target-connectivity',
    name: role === 'source' ? 'Source database connectivity' : 'Destination database connectivity',
    ignorable: false,
    async run(ctx) {
      const ep = ctx.endpoint(role);
      const who = ep.username ? `ACL user "${ep.username}"` : ep.password ? 'the default user with a password' : 'no password';
      try {
        const side = await ctx.side(role);
        const details = [
          `Connected to ${side.seed.address} as ${who}.`,
          `Encryption: ${encryption(ep)}.`,
          `${side.seed.info.flavor} ${side.seed.info.version}, ${side.seed.info.mode}, role ${side.seed.info.role}.`,
        ];
        if (side.cluster) details.push(`${side.shards.length} of ${side.cluster.length} master shards connected.`);
        return passed(`The ${label} database accepts connections and the credentials.`, details);
      } catch (err) {
        const e = err instanceof ConnectError ? err : new ConnectError('error', String(err));
        return failed(e.message, [`Address: ${addressOf(ep)}`, `Encryption: ${encryption(ep)}`, `Credentials: ${who}`, `Failure: ${e.kind}`],
          e.hint);
      }
    },
  };
}

export const sourceConnectivity = connectivity('source');
export const targetConnectivity = connectivity('target');
