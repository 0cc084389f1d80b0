/** Key helpers of the verifier: SCAN MATCH patterns for a key prefix, and binary-safe key identities. */

/** SCAN MATCH pattern for keys starting with `prefix` (glob characters escaped). */
export function prefixPattern(prefix: string): Buffer {
  const bytes = Buffer.from(prefix);
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0x2a || b === 0x3f || b === 0x5b || b === 0x5d || b === 0x5c) out.push(0x5c); // * ? [ ] \
    out.push(b);
  }
  out.push(0x2a);
  return Buffer.from(out);
}

/** Identity of a key in a DB, usable as a Map key (binary-safe). */
export function keyId(db: number, key: Buffer): string {
  return `${db}:${key.toString('latin1')}`;
}
