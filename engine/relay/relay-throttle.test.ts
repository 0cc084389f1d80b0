/**
 * The relay's throttle arithmetic and its stream command counter (relay-throttle.ts); the pacing
 * itself is tested against real servers in relay.test.ts ('a throttled task').
 */
import { describe, expect, it } from 'vitest';
import { encodeCommands } from '../resp';
import { byteRate, describeLimits, isUnlimited, relayLimits, StreamCommandCounter } from './relay-throttle';

const stream = encodeCommands([
  ['SELECT', '0'],
  ['SET', 'k1', 'v'.repeat(100)],
  ['SET', 'k2', 'line\r\n*3\r\n$3\r\nSET\r\n'], // a value that looks like the start of a command
  ['PING'],
  ['INCR', 'counter'],
]);

describe('relay throttle', () => {
  it('the link rate and each stage\'s throttle make the relay\'s limits, the tighter rate winning', () => {
    expect(relayLimits(undefined, undefined)).toEqual({ snapshot: { rps: 0, bytesPerSecond: 0 }, stream: { rps: 0, bytesPerSecond: 0 } });
    expect(relayLimits(8_000, { full: { rps: 5_000 }, incremental: { rps: 20_000, bytesPerSecond: 1_000_000 } })).toEqual({
      snapshot: { rps: 5_000, bytesPerSecond: 0 }, stream: { rps: 8_000, bytesPerSecond: 1_000_000 },
    });
    expect(isUnlimited(relayLimits(0, {}))).toBe(true);
    expect(isUnlimited(relayLimits(0, { incremental: { bytesPerSecond: 1 } }))).toBe(false);
    expect(describeLimits(relayLimits(0, { full: { rps: 5_000 }, incremental: { rps: 100, bytesPerSecond: 2 * 1048576 } })))
      .toBe('the snapshot 5000 keys/s, the stream 100 commands/s and 2 MB/s');
  });

  it('records per second become bytes per second through what a record costs; unknown, the bytes limit alone holds', () => {
    expect(byteRate({ rps: 1_000, bytesPerSecond: 0 }, 50)).toBe(50_000);
    expect(byteRate({ rps: 1_000, bytesPerSecond: 20_000 }, 50)).toBe(20_000);
    expect(byteRate({ rps: 1_000, bytesPerSecond: 0 }, undefined)).toBe(0);
    expect(byteRate({ rps: 1_000, bytesPerSecond: 7 }, undefined)).toBe(7);
    expect(byteRate({ rps: 0, bytesPerSecond: 0 }, 50)).toBe(0);
  });

  it('counts the stream\'s commands split at any byte, from a reused buffer', () => {
    for (const step of [1, 7, 64, stream.length]) {
      const counter = new StreamCommandCounter();
      const reused = Buffer.alloc(step);
      for (let at = 0; at < stream.length; at += step) {
        const n = stream.copy(reused, 0, at, at + step);
        counter.push(reused.subarray(0, n));
        reused.fill(0x2a); // what the relay's next read would do to the bytes it was given
      }
      expect(counter.bytesPerCommand).toBeCloseTo(stream.length / 5, 6);
    }
  });

  it('started in the middle of a command, it counts from the next one', () => {
    const counter = new StreamCommandCounter();
    const second = stream.indexOf('*3\r\n$3\r\nSET\r\n$2\r\nk1');
    counter.push(stream.subarray(second + 5)); // inside the SET of k1
    expect(counter.bytesPerCommand).toBeDefined();
    expect(counter.bytesPerCommand!).toBeGreaterThan(10);
    expect(counter.bytesPerCommand!).toBeLessThan(stream.length);
  });
});
