/**
 * The one wording table: every failure kind has words for both readers, and each reader's hint
 * speaks only its own language (the CLI's URL and flags, or the console's field names).
 */
import { describe, expect, it } from 'vitest';
import { classifyFailure, type ConnectionFailure } from './failure';
import { asSentence, failureWords } from './wording';

const EVERY_KIND: ConnectionFailure[] = [
  { kind: 'refused' },
  { kind: 'unreachable', errno: 'EHOSTUNREACH' },
  { kind: 'dns', errno: 'ENOTFOUND' },
  { kind: 'connect-timeout', ms: 10_000 },
  { kind: 'reply-timeout', command: 'PING', ms: 500, silent: true },
  { kind: 'reply-timeout', command: 'INFO', silent: false },
  { kind: 'tls-to-plain', ms: 800 },
  { kind: 'tls-to-plain', reason: 'wrong version number' },
  { kind: 'plain-to-tls' },
  { kind: 'tls-closed', errno: 'ECONNRESET' },
  { kind: 'certificate', problem: 'untrusted', reason: 'self-signed certificate' },
  { kind: 'certificate', problem: 'hostname', reason: 'IP: 10.0.0.1 is not in the cert\'s list' },
  { kind: 'certificate', problem: 'validity', reason: 'certificate has expired' },
  { kind: 'client-certificate', problem: 'required', reason: 'tlsv13 alert certificate required' },
  { kind: 'client-certificate', problem: 'rejected', reason: 'tlsv1 alert unknown ca' },
  { kind: 'tls-settings', reason: 'bad key' },
  { kind: 'tls', reason: 'no shared cipher' },
  { kind: 'wrong-password', reply: 'WRONGPASS invalid username-password pair' },
  { kind: 'password-required' },
  { kind: 'no-acl' },
  { kind: 'noperm', reply: 'NOPERM no permissions to run the \'psync\' command', purpose: 'replicate' },
];

/** Words that belong to one reader only. */
const CLI_ONLY = /rediss?:\/\/|--tls-|URL/;
const CONSOLE_ONLY = /Encryption|CA Certificate|Client Certificate|Client Private Key|Database Password|Skip certificate verification|\bHost\b|\bPort\b/;

describe('failureWords', () => {
  it('words every failure for both readers, each in its own terms', () => {
    for (const f of EVERY_KIND) {
      const endpoint = { host: '10.0.0.1', port: 6379, tls: f.kind.includes('tls-to') || f.kind === 'certificate' ? {} : undefined };
      const cli = failureWords(f, { endpoint, role: 'source' });
      const console = failureWords(f, { endpoint: { ...endpoint, audience: 'console' }, role: 'source' });
      expect(cli.message, f.kind).toContain('the source 10.0.0.1:6379');
      expect(console.message).toBe(cli.message);
      expect(cli.hint, f.kind).toBeTruthy();
      expect(cli.hint, f.kind).not.toMatch(CONSOLE_ONLY);
      expect(console.hint, f.kind).not.toMatch(CLI_ONLY);
    }
  });

  it('names the address alone where the reader knows the side, as a sentence for the precheck', () => {
    const words = failureWords({ kind: 'refused' }, { endpoint: { host: '10.0.0.1', port: 6379, audience: 'console' } });
    expect(asSentence(words.message)).toBe('Connection refused by 10.0.0.1:6379: nothing is listening on that port, or a firewall rejects it.');
    expect(words.probe).toBe('refused');
    expect(words.code).toBe('UNREACHABLE');
  });
});

describe('classifyFailure', () => {
  const plain = { tls: false, stage: 'login' } as const;
  const secure = { tls: true, stage: 'login' } as const;

  it('reads a close before any reply as a TLS / plain-text mismatch, and after one as a broken connection', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(classifyFailure(reset, plain)).toEqual({ kind: 'plain-to-tls' });
    expect(classifyFailure(reset, secure)).toEqual({ kind: 'tls-closed', errno: 'ECONNRESET' });
    expect(classifyFailure(reset, { tls: false, stage: 'use', command: 'INFO' })).toEqual({ kind: 'closed', errno: 'ECONNRESET', during: 'INFO' });
  });

  it('reads the server\'s refusals before anything else', () => {
    expect(classifyFailure(new Error('WRONGPASS invalid username-password pair'), plain).kind).toBe('wrong-password');
    expect(classifyFailure(new Error('NOAUTH Authentication required.'), plain).kind).toBe('password-required');
    expect(classifyFailure(new Error('NOPERM this user has no permissions'), { ...plain, purpose: 'verify' }))
      .toMatchObject({ kind: 'noperm', purpose: 'verify' });
  });

  it('tells the certificate problems and the client certificate refusals apart', () => {
    expect(classifyFailure(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), { tls: true, stage: 'connect' }))
      .toEqual({ kind: 'certificate', problem: 'untrusted', reason: 'self-signed certificate' });
    const alert = Object.assign(new Error('C0:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../ssl/record/rec_layer_s3.c:1584:SSL alert number 116'),
      { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(classifyFailure(alert, secure)).toEqual({ kind: 'client-certificate', problem: 'required', reason: 'tlsv13 alert certificate required' });
    expect(classifyFailure(Object.assign(new Error('SSL routines::wrong version number'), { code: 'EPROTO' }), { tls: true, stage: 'connect' }).kind)
      .toBe('tls-to-plain');
  });
});
