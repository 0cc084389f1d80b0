import { describe, expect, it } from 'vitest';
import { EndpointError, parseRedisUrl, redactCredentials, urlSecrets } from './endpoint';

describe('redactCredentials', () => {
  it.each([
    ['redis://app:secret@10.0.0.1:6379', 'redis://app:***@10.0.0.1:6379'],
    ['rediss://:secret@h:1/0 then redis://h:2 x@y', 'rediss://:***@h:1/0 then redis://h:2 x@y'],
    ['"redis://a:p:q@h" and "http://u:v@w"', '"redis://a:***@h" and "http://u:***@w"'],
    ['redis://a:p@ss@h:1', 'redis://a:***@h:1'],
    ['redis://user@h:1 redis://h:1', 'redis://user@h:1 redis://h:1'],
    ['usage: --source redis://[user:pass@]host:port', 'usage: --source redis://[user:pass@]host:port'],
    ['redis://u:p@[::1]:6379 redis://[::1]:6379', 'redis://u:***@[::1]:6379 redis://[::1]:6379'],
    ['write redis://user:<password>@host:port', 'write redis://user:<password>@host:port'],
  ])('%s → %s', (text, shown) => {
    expect(redactCredentials(text)).toBe(shown);
  });

  it('replaces the passwords it is given, as written and percent-encoded, longest first', () => {
    expect(redactCredentials('AUTH pass word, pass%20word; pass', ['pass word', 'pass'])).toBe('AUTH ***, ***; ***');
    // Too short to replace everywhere (URLs are still covered by the pattern).
    expect(redactCredentials('a1 redis://u:a1@h', ['a1'])).toBe('a1 redis://u:***@h');
  });

  it('urlSecrets: the password up to the last @, encoded and decoded, even when the URL does not parse', () => {
    expect(urlSecrets('redis://app:two words@x@h:bad')).toEqual(['two words@x', 'two words@x']);
    expect(urlSecrets('redis://app:p%40ss@h')).toEqual(['p%40ss', 'p@ss']);
    expect(urlSecrets('redis://app@h')).toEqual([]);
    expect(urlSecrets('redis://h:1')).toEqual([]);
  });

  it("parseRedisUrl's errors show the URL without its password", () => {
    for (const url of ['redis://app:S3cret@h:99999999', 'http://app:S3cret@h', 'redis://app:S3cret@']) {
      let err: unknown;
      try {
        parseRedisUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EndpointError);
      expect((err as Error).message).toContain('app:***@');
      expect((err as Error).message).not.toContain('S3cret');
    }
  });
});
