/**
 * The one table of words for a classified connection failure (failure.ts): what happened, and
 * what to do about it in the reader's own terms. The CLI's reader sets a side up with a URL and
 * --tls-* flags, the console's with its fields (Host, Database Password, Encryption, CA
 * Certificate, …); an endpoint says which (`audience`), so a console task's log never tells
 * anyone to "use rediss://". Each row also gives the error code the engine's errors carry and
 * the failure kind Test Connection and the precheck report.
 */
import { endpointAddress, type Audience, type RedisEndpoint } from '../endpoint';
import type { AccessPurpose, ConnectionFailure } from './failure';

/** The codes connection failures share in NetError and LinkError. */
export type ConnectionErrorCode = 'UNREACHABLE' | 'TIMEOUT' | 'TLS' | 'AUTH_FAILED' | 'NOPERM' | 'LINK_BROKEN';

/**
 * The failure kinds Test Connection and the precheck report. `certificate`: TLS works but the
 * server's certificate was refused; `client-certificate`: the server refused this client for its
 * certificate or the lack of one; `tls`: one side speaks TLS and the other does not.
 */
export type ConnectFailureKind = 'auth' | 'refused' | 'timeout' | 'tls' | 'certificate' | 'client-certificate' | 'unreachable' | 'error';

/** The server a failure is about: its endpoint, and its role in a task where there is one. */
export interface FailureSubject {
  endpoint: Pick<RedisEndpoint, 'host' | 'port' | 'username' | 'audience'> & { tls?: { ca?: unknown } };
  role?: 'source' | 'destination';
}

/** What `where` names and the rows read. */
interface Scene {
  /** "the source 10.0.0.1:6379", or the address alone where the reader already knows the side. */
  where: string;
  /** "user "app"" or "the default user". */
  who: string;
  host: string;
  username?: string;
  tls: boolean;
  ca: boolean;
}

type Text<F> = string | ((f: F, s: Scene) => string);

interface Row<F> {
  code: ConnectionErrorCode;
  probe: ConnectFailureKind;
  /** A clause (no capital, no full stop): engine errors go into longer log lines. */
  message: (f: F, s: Scene) => string;
  hint?: Record<Audience, Text<F>>;
}

type Table = { [K in ConnectionFailure['kind']]: Row<Extract<ConnectionFailure, { kind: K }>> };

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

const SKIP_VERIFICATION: Record<Audience, string> = {
  console: 'or, only where nobody can intercept the traffic, choose Skip certificate verification (insecure)',
  cli: 'or, only where nobody can intercept the traffic, add --tls-insecure',
};

const NEEDS: Record<AccessPurpose, { action: string; grant: (user: string) => string }> = {
  basic: {
    action: 'is not allowed to run basic commands',
    grant: () => 'grant the ACL user at least +@read +info +ping (and +psync +@write for synchronization)',
  },
  replicate: {
    action: 'may not replicate',
    grant: (user) => `grant replication rights, e.g. ACL SETUSER ${user} +psync +sync +replconf +ping`,
  },
  verify: {
    action: 'may not run what verification needs',
    grant: () => 'grant the account +@read, +@keyspace and +info',
  },
};

const WORDS: Table = {
  refused: {
    code: 'UNREACHABLE', probe: 'refused',
    message: (_, s) => `connection refused by ${s.where}: nothing is listening on that port, or a firewall rejects it`,
    hint: {
      console: 'check Host and Port, and that the server is running and bound to an address this machine can reach',
      cli: 'check the host and port of the URL, and that the server is running and bound to an address this machine can reach',
    },
  },
  unreachable: {
    code: 'UNREACHABLE', probe: 'unreachable',
    message: (f, s) => `${s.where} is unreachable from this machine (${f.errno})`,
    hint: { console: 'check the address, routing and firewall rules', cli: 'check the address, routing and firewall rules' },
  },
  dns: {
    code: 'UNREACHABLE', probe: 'unreachable',
    message: (f, s) => `the host name of ${s.where} cannot be resolved (${f.errno})`,
    hint: { console: 'check Host', cli: 'check the host name in the URL' },
  },
  'connect-timeout': {
    code: 'TIMEOUT', probe: 'timeout',
    message: (f, s) => `timed out connecting to ${s.where}${f.ms ? ` (${seconds(f.ms)})` : ''}: no answer to the connection request`,
    hint: {
      console: 'check Host and Port, and that a firewall or security group lets this machine through',
      cli: 'check the host and port, and that a firewall or security group lets this machine through',
    },
  },
  'reply-timeout': {
    code: 'TIMEOUT', probe: 'timeout',
    message: (f, s) => `${s.where} did not answer${f.command ? ` ${f.command}` : ''} ${f.ms ? `within ${seconds(f.ms)}` : 'in time'}`
      + (f.silent ? ': the port accepted the connection but no Redis reply came' : ''),
    hint: {
      console: (f, s) => !f.silent ? 'the server may be overloaded: check its load and the network'
        : s.tls ? 'check that the port is a Redis port' : 'check that the port is a Redis port; if the server requires TLS, set Encryption to SSL',
      cli: (f, s) => !f.silent ? 'the server may be overloaded: check its load and the network'
        : s.tls ? 'check that the port is a Redis port' : 'check that the port is a Redis port; if the server requires TLS, use a rediss:// URL',
    },
  },
  'tls-to-plain': {
    code: 'TLS', probe: 'tls',
    message: (f, s) => f.ms
      ? `the TLS handshake with ${s.where} did not complete within ${seconds(f.ms)}: the port accepts connections but does not speak TLS`
      : `the TLS handshake with ${s.where} failed: the port does not speak TLS${f.reason ? ` (${f.reason})` : ''}`,
    hint: {
      console: 'set Encryption to Non-encrypted, or use the server\'s TLS port',
      cli: 'use a redis:// URL, or the server\'s TLS port',
    },
  },
  'plain-to-tls': {
    code: 'TLS', probe: 'tls',
    message: (_, s) => `${s.where} closed the connection without a Redis reply; it probably expects TLS`,
    hint: {
      console: 'set Encryption to SSL (or check that the port is a Redis port)',
      cli: 'use a rediss:// URL, with --tls-ca if its certificate is not publicly trusted (or check that the port is a Redis port)',
    },
  },
  'tls-closed': {
    code: 'TLS', probe: 'tls',
    message: (f, s) => `${s.where} closed the TLS connection without a Redis reply${f.errno ? ` (${f.errno})` : ''}: it may not speak TLS, or it refused this client's certificate`,
    hint: {
      console: 'set Encryption to Non-encrypted if the server does not use TLS, or check Client Certificate and Client Private Key',
      cli: 'use a redis:// URL if the server does not use TLS, or check --tls-cert and --tls-key',
    },
  },
  certificate: {
    code: 'TLS', probe: 'certificate',
    message: (f, s) => {
      switch (f.problem) {
        case 'untrusted':
          return s.ca
            ? `the TLS certificate of ${s.where} is not signed by the CA certificate given (${f.reason})`
            : `the TLS certificate of ${s.where} is not trusted (${f.reason})`;
        case 'hostname':
          return `the TLS certificate of ${s.where} is not issued for "${s.host}" (${f.reason})`;
        case 'validity':
          return `the TLS certificate of ${s.where} is not valid at this time (${f.reason})`;
      }
    },
    hint: {
      console: (f, s) => {
        switch (f.problem) {
          case 'untrusted':
            return s.ca
              ? `paste the CA certificate that issued the server's certificate in CA Certificate, ${SKIP_VERIFICATION.console}`
              : `paste its CA certificate in CA Certificate (PEM), ${SKIP_VERIFICATION.console}`;
          case 'hostname':
            return `use a host name or IP address the certificate names (its subject alternative names), ${SKIP_VERIFICATION.console}`;
          case 'validity':
            return 'renew the server\'s certificate, or correct the clock of this machine';
        }
      },
      cli: (f, s) => {
        switch (f.problem) {
          case 'untrusted':
            return s.ca
              ? `give the CA certificate that issued the server's certificate with --tls-ca, ${SKIP_VERIFICATION.cli}`
              : `give its CA certificate with --tls-ca FILE (PEM), ${SKIP_VERIFICATION.cli}`;
          case 'hostname':
            return `connect to a host name or IP address the certificate names (its subject alternative names), ${SKIP_VERIFICATION.cli}`;
          case 'validity':
            return 'renew the server\'s certificate, or correct the clock of this machine';
        }
      },
    },
  },
  'client-certificate': {
    code: 'TLS', probe: 'client-certificate',
    message: (f, s) => f.problem === 'required'
      ? `${s.where} requires a client certificate (tls-auth-clients)`
      : `${s.where} does not accept the client certificate (${f.reason})`,
    hint: {
      console: (f) => f.problem === 'required'
        ? 'add Client Certificate and Client Private Key (a certificate signed by a CA the server trusts, its tls-ca-cert-file)'
        : 'use a client certificate signed by a CA the server trusts (its tls-ca-cert-file) and still valid',
      cli: (f) => f.problem === 'required'
        ? 'give a client certificate and its key with --tls-cert and --tls-key (a certificate signed by a CA the server trusts, its tls-ca-cert-file)'
        : 'give with --tls-cert a client certificate signed by a CA the server trusts (its tls-ca-cert-file) and still valid',
    },
  },
  'tls-settings': {
    code: 'TLS', probe: 'tls',
    message: (f, s) => `cannot use the TLS settings for ${s.where}: ${f.reason}`,
    hint: {
      console: 'check that CA Certificate, Client Certificate and Client Private Key are PEM text and that the key belongs to the certificate',
      cli: 'check that the --tls-ca, --tls-cert and --tls-key files are PEM and that the key belongs to the certificate',
    },
  },
  tls: {
    code: 'TLS', probe: 'tls',
    message: (f, s) => `TLS with ${s.where} failed: ${f.reason}`,
    hint: {
      console: 'check the Encryption setting (SSL or Non-encrypted), CA Certificate, and Client Certificate if the server requires one',
      cli: 'check the TLS settings: rediss:// or redis://, --tls-ca, and --tls-cert with --tls-key if the server requires a client certificate',
    },
  },
  'wrong-password': {
    code: 'AUTH_FAILED', probe: 'auth',
    message: (f, s) => `wrong password for ${s.who} on ${s.where}: ${f.reply}`,
    hint: {
      console: 'check Database Password; for an ACL account enter <user>:<password>',
      cli: 'check the password in the URL; for an ACL account write redis://user:<password>@host:port (or check the --source/--target-password-file or DTS_SOURCE/TARGET_PASSWORD that gives it)',
    },
  },
  'password-required': {
    code: 'AUTH_FAILED', probe: 'auth',
    message: (_, s) => `${s.where} requires a password and none was given`,
    hint: {
      console: 'enter the Database Password (<password>, or <user>:<password> for an ACL account)',
      cli: 'give it with --source-password-file / --target-password-file (or DTS_SOURCE_PASSWORD / DTS_TARGET_PASSWORD), or in the URL: redis://:<password>@host:port, or redis://user:<password>@host:port for an ACL account',
    },
  },
  'no-acl': {
    code: 'AUTH_FAILED', probe: 'auth',
    message: (_, s) => `${s.where} does not support ACL users (a user name with the password); it is older than Redis 6`,
    hint: {
      console: 'enter only the password in Database Password, without "<user>:"',
      cli: 'give only the password: redis://:<password>@host:port',
    },
  },
  noperm: {
    code: 'NOPERM', probe: 'auth',
    message: (f, s) => `${s.who} on ${s.where} ${NEEDS[f.purpose].action}: ${f.reply}`,
    hint: {
      console: (f, s) => NEEDS[f.purpose].grant(s.username ?? 'default'),
      cli: (f, s) => NEEDS[f.purpose].grant(s.username ?? 'default'),
    },
  },
  closed: {
    code: 'LINK_BROKEN', probe: 'error',
    message: (f, s) => `${s.where} closed the connection${f.during ? ` while answering ${f.during}` : ''}${f.errno ? ` (${f.errno})` : ''}`,
  },
  other: {
    code: 'LINK_BROKEN', probe: 'error',
    message: (f, s) => `the connection to ${s.where} failed: ${f.detail}`,
  },
};

export interface FailureWords {
  code: ConnectionErrorCode;
  probe: ConnectFailureKind;
  message: string;
  hint?: string;
}

/** The failure in words for the subject's audience (the CLI's unless the endpoint says the console's). */
export function failureWords(f: ConnectionFailure, subject: FailureSubject): FailureWords {
  const e = subject.endpoint;
  const address = endpointAddress(e);
  const scene: Scene = {
    where: subject.role ? `the ${subject.role} ${address}` : address,
    who: e.username ? `user "${e.username}"` : 'the default user',
    host: e.host,
    username: e.username,
    tls: e.tls !== undefined,
    ca: e.tls?.ca !== undefined,
  };
  // One row per kind; TypeScript cannot follow the kind from `f` to the row, hence the widening.
  const row = WORDS[f.kind] as Row<ConnectionFailure>;
  const hint = row.hint?.[e.audience ?? 'cli'];
  return { code: row.code, probe: row.probe, message: row.message(f, scene), hint: typeof hint === 'function' ? hint(f, scene) : hint };
}

/** A clause as a sentence of its own, for the precheck's and Test Connection's findings. */
export function asSentence(clause: string): string {
  const s = clause.charAt(0).toUpperCase() + clause.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
