/** docs/compatibility.md, from what the compatibility suite measured (engine/compat/compat.test.ts). */
import type { PrecheckStatus } from '../../precheck';

export interface MatrixCell {
  source: string;
  dest: string;
  /** The destination RESTOREs the source's own payloads (else values are rewritten as commands). */
  restore: boolean;
  precheck: PrecheckStatus;
  precheckReason: string;
  /** What the pair cannot carry, and how the task fails when it meets it. */
  refused: string[];
  /** The precheck's line on commands translated for the destination ('' when none). */
  translated: string;
  result: string;
  /** How many kinds of command the write load sent. */
  commands?: number;
}

function short(c: MatrixCell): string {
  if (c.result !== 'equal') return `✗ ${c.result}`;
  const how = c.restore ? 'works' : 'works, rewritten';
  const marks = [c.translated ? 'T' : '', c.refused.some((r) => r.startsWith('hash-field')) ? 'F' : '', c.refused.some((r) => r.startsWith('functions')) ? 'Fn' : '']
    .filter(Boolean);
  return marks.length ? `${how} (${marks.join(', ')})` : how;
}

/**
 * Module values: what `engine/sync/modules.test.ts` measures with the one module the fetched servers
 * have (Redis 8's vector sets), kept here so the regenerated document keeps it.
 */
const MODULE_VALUES = [
  '- **Module values** (RDB `MODULE_2`), measured by `engine/sync/modules.test.ts` with Redis 8\'s vector sets',
  '  (module `vectorset`, built into Redis 8.0+): where the destination loads the same module (redis-8.0 and',
  '  redis-8.6, either way) they are RESTOREd as they are, the stream\'s `VADD`/`VREM`/`VSETATTR` are',
  '  forwarded, and the copy is equal, by the verifier too (by content: elements, stored vectors, attributes).',
  '  Into a destination without it (redis-6.0, redis-7.0, valkey-8.0, valkey-8.1, valkey-9.1) the precheck\'s',
  '  Modules item fails naming the keys (`MODULE LIST` on both sides, `SCAN … TYPE` in the selected DBs); a',
  '  task that meets one fails naming the key and the module, and a `VADD`/`VREM`/`VSETATTR` in the stream fails',
  '  it naming the command. A source that loads the module but holds no vector set passes. Redis itself does',
  '  not propagate a `VADD` of an element the set already has (a changed vector, or its `SETATTR`): its own',
  '  replicas miss it, and so does the destination; the verifier names the element (`e1 (vector)`).',
];

export function renderMatrix(cells: MatrixCell[], names: readonly string[], versions: string[]): string {
  const at = (s: string, d: string) => cells.find((c) => c.source === s && c.dest === d)!;
  const lines = [
    '# Compatibility matrix',
    '',
    '_Written by the compatibility suite (`engine/compat/compat.test.ts`, part of `npm test`) from what it',
    'measured against real servers; do not edit by hand. Regenerate it with',
    '`npx vitest run engine/compat`._',
    '',
    `Servers: ${versions.join('; ')}. Fetched from Debian's archive by \`scripts/fetch-servers.mjs\`.`,
    '',
    'Each pair: a dataset of every type and encoding the source has (strings of each encoding, lists, sets,',
    'sorted sets and hashes small and big, a stream with deleted entries, consumer groups, pending entries and',
    'consumers, keys with expiry; hash fields with their own expiry on Redis 7.4+/Valkey 9; a function library on',
    'Redis 7.0+/Valkey), the precheck, a full migration, a write load of every command that source\'s stream',
    'carries, a key-by-key check by content (type, value, expiry, field expiry, stream groups), and the project\'s',
    'own verifier (`npm run verify`, one full round) finding no difference.',
    '',
    '| source ↓ / destination → | ' + names.join(' | ') + ' |',
    '|---|' + names.map(() => '---').join('|') + '|',
    ...names.map((s) => `| **${s}** | ${names.map((d) => short(at(s, d))).join(' | ')} |`),
    '',
    '- **works**: the destination RESTOREs the source\'s own payloads; **rewritten**: it cannot (an older RDB',
    '  version, or the other family\'s format), so values of types it lacks are rewritten as commands.',
    '- **T**: the source\'s stream may carry commands the destination lacks; they are translated (below).',
    '- **F**: hash fields with their own expiry cannot be carried: the precheck fails saying so (from the',
    '  source\'s `INFO keyspace`), and a task that meets such a key fails naming it. The suite then carries the',
    '  rest with a key filter.',
    '- **Fn**: functions cannot be carried: the precheck fails (from `FUNCTION LIST`), and a task fails naming',
    '  them. The suite then carries the rest without the functions.',
    ...MODULE_VALUES,
    '',
    '## Per pair',
    '',
  ];
  for (const s of names) {
    for (const d of names) {
      const c = at(s, d);
      lines.push(`- **${s} → ${d}**: ${c.result === 'equal' ? 'equal key by key, and by the verifier' : c.result}; ${c.restore ? 'RESTORE of the source\'s payloads' : 'values rewritten as commands where the destination lacks the type'}.`
        + ` Precheck: ${c.precheck} — ${c.precheckReason}`
        + (c.translated ? ` ${c.translated}` : '')
        + (c.refused.length ? ` Cannot carry: ${c.refused.join('; ')}.` : ''));
    }
  }
  lines.push('');
  return lines.join('\n');
}
