import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from './password';

describe('password hashing', () => {
  it('hashes with argon2id (memory-hard) and verifies', async () => {
    const h = await hashPassword('correct horse battery');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(h, 'correct horse batterY')).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(h); // salted
  });

  it('treats a malformed hash as a wrong password', async () => {
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
  });

  it('generates long random passwords that pass the policy', () => {
    const a = generatePassword();
    expect(a).toHaveLength(20);
    expect(a).not.toBe(generatePassword());
    expect(passwordProblem(a, 'admin')).toBeNull();
  });

  it('refuses short passwords and ones holding the username', () => {
    expect(passwordProblem('short')).toMatch(/at least 10/);
    expect(passwordProblem('my-Admin-password', 'admin')).toMatch(/username/);
    expect(passwordProblem('x'.repeat(300))).toMatch(/at most/);
  });
});
