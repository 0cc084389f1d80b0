/**
 * The relay's password carries the destination's own settings (destination-settings.ts): they come
 * back out of it exactly, whatever they hold, and a password written before repl-diskless-load was
 * carried is still read.
 */
import { describe, expect, it } from 'vitest';
import { unwrapRelayPassword, wrapRelayPassword } from './destination-settings';

describe('the relay password', () => {
  it('carries masterauth, masteruser, tls-replication and repl-diskless-load back out exactly', () => {
    const settings = [
      { masterauth: '', masteruser: undefined, tlsReplication: undefined, disklessLoad: undefined },
      { masterauth: 'p.a.s.s wörd/+=', masteruser: 'replicator', tlsReplication: 'no', disklessLoad: 'disabled' },
      { masterauth: 'dts-relay.x.y..z', masteruser: undefined, tlsReplication: 'yes', disklessLoad: 'swapdb' },
    ];
    for (const s of settings) {
      const password = wrapRelayPassword(s);
      expect(password).toMatch(/^dts-relay\./);
      expect(unwrapRelayPassword(password)).toEqual(s);
    }
    // A fresh secret each time.
    expect(wrapRelayPassword(settings[0]!)).not.toBe(wrapRelayPassword(settings[0]!));
  });

  it('reads a password of the earlier form (no repl-diskless-load field) and refuses what is not one', () => {
    const earlier = `dts-relay.${Buffer.from('own').toString('base64url')}..no.AbCdEf012345-_xyzXYZ0123`;
    expect(unwrapRelayPassword(earlier)).toEqual({ masterauth: 'own', masteruser: undefined, tlsReplication: 'no', disklessLoad: undefined });
    expect(unwrapRelayPassword('the-users-own')).toBeUndefined();
    expect(unwrapRelayPassword('dts-relay.only-two.fields')).toBeUndefined();
  });
});
