/**
 * The compatibility suite (issue 14): every source × destination pair of Redis 6.0, 7.0, 8.0
 * and Valkey 8.1, 9.1 — real servers from Debian's packages (scripts/fetch-servers.mjs) — each
 * with a dataset of every type and encoding the source has, the precheck, a full migration, a
 * write load of the commands that source's stream carries, and a key-by-key check by content.
 * Where a pair cannot carry something (hash-field TTLs into Redis < 7.4 / Valkey < 9, functions
 * into Redis 6), the precheck must say so and a task that meets it anyway must fail naming it;
 * the rest of the data is then carried with a key filter (and without the functions).
 *
 * One server per version on each side: each source writes into its own DB of every
 * destination (source i → DB i), so the five tasks of a source run at once from one load.
 * The matrix it measured is written to docs/compatibility.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../endpoint';
import { describeError } from '../errors';
import { verify } from '../verify';
import { runPrechecks } from '../precheck';
import type { PrecheckResult } from '../precheck';
import { hasFeature, parseServerVersion, readsSnapshotOf, serverLabel, type ServerVersion } from '../servers/facts';
import { RedisServer } from '../testing/redis-server';
import { EXTRA_SERVERS, SUITE_SERVERS, serverAvailable, serverCommand, type ServerName } from '../testing/servers';
import { compareContent, type ContentSide } from './testing/content';
import { CARRIED_PREFIX, FUNCTION_LIBRARY, seedDataset } from './testing/dataset';
import { loadCommands, runLoad } from './testing/load';
import { renderMatrix, type MatrixCell } from './testing/matrix';
import { endTask, startTask, waitCaughtUp, waitFailed, waitStage, type CompatTask } from './testing/task';

const DOC = path.resolve(import.meta.dirname, '../../docs/compatibility.md');

function side(c: Redis, db: number, v: ServerVersion): ContentSide {
  return {
    c, db,
    hasPexpiretime: v.product === 'valkey' || v.major >= 7,
    hasFieldTtl: hasFeature(v, 'fieldTtl'),
    hasEntriesRead: hasFeature(v, 'streamMetadata'),
  };
}

async function versionOf(c: Redis): Promise<ServerVersion> {
  return parseServerVersion(String(await c.info('server')));
}

async function libraries(c: Redis): Promise<string[]> {
  try {
    return ((await c.call('FUNCTION', 'LIST')) as unknown[][]).map((lib) => String(lib[1]));
  } catch {
    return [];
  }
}

const missingExtras = EXTRA_SERVERS.filter((n) => !serverAvailable(n));
if (missingExtras.length) console.warn(`compatibility suite: ${missingExtras.join(', ')} not fetched; their pairs are skipped`);
/** The five the issue names, then the extra versions that could be fetched. */
const SERVERS: readonly ServerName[] = [...SUITE_SERVERS, ...EXTRA_SERVERS.filter(serverAvailable)];

describe(`compatibility: ${SERVERS.join(', ')} on either side (${SERVERS.length ** 2} pairs)`, () => {
  const dests = new Map<ServerName, RedisServer>();
  const destClients = new Map<ServerName, Redis>();
  const destVersions = new Map<ServerName, ServerVersion>();
  const cells: MatrixCell[] = [];

  beforeAll(async () => {
    const started = await Promise.all(SERVERS.map((name) => RedisServer.start({ server: name })));
    for (const [i, name] of SERVERS.entries()) {
      dests.set(name, started[i]);
      const c = started[i].client();
      destClients.set(name, c);
      destVersions.set(name, await versionOf(c));
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of destClients.values()) c.disconnect();
    await Promise.all([...dests.values()].map((s) => s.stop()));
    if (cells.length === SERVERS.length ** 2) {
      const versions = SERVERS.map((n) => `${n} = ${serverLabel(destVersions.get(n)!)} (${serverCommand(n).source.replace(/ \(.*\)$/, '')})`);
      fs.writeFileSync(DOC, renderMatrix(cells, SERVERS, versions));
    }
  });

  for (const [si, sourceName] of SERVERS.entries()) {
    it(`${sourceName} → each of ${SERVERS.join(', ')}`, async () => {
      const source = await RedisServer.start({ server: sourceName, config: { 'repl-diskless-sync-delay': 0 } });
      const src = source.client();
      const load = source.client();
      const running: CompatTask[] = [];
      try {
        const sv = await versionOf(src);
        const seeded = await seedDataset(src, sv);
        const commands = loadCommands(sv, { fieldTtl: seeded.fieldTtlKeys.length > 0, functions: seeded.functions });

        // 1. The precheck, and a task where the pair cannot carry the data.
        const plans: { name: ServerName; dv: ServerVersion; db: number; filtered: boolean; functionsLost: boolean; cell: MatrixCell }[] = [];
        for (const name of SERVERS) {
          const dv = destVersions.get(name)!;
          const dest = dests.get(name)!;
          const dc = destClients.get(name)!;
          await dc.select(si);
          await dc.flushdb();
          const results: PrecheckResult[] = await runPrechecks({
            source: { host: '127.0.0.1', port: source.port, mode: 'standalone', audience: 'cli' },
            target: { host: '127.0.0.1', port: dest.port, mode: 'standalone', audience: 'cli' },
            options: { syncTypes: 'full+incremental', conflictMode: 'ignore', dbs: [{ db: 0, targetDb: si }] },
          }, { only: ['source-version', 'version-compat'] });
          const compat = results.find((r) => r.id === 'version-compat')!;
          expect(results.find((r) => r.id === 'source-version')!.status, `${sourceName} → ${name}: source version`).not.toBe('failed');
          const fieldTtlLost = seeded.fieldTtlKeys.length > 0 && !hasFeature(dv, 'fieldTtl');
          const functionsLost = seeded.functions && !hasFeature(dv, 'functions');
          const cell: MatrixCell = {
            source: sourceName, dest: name, restore: readsSnapshotOf(dv, sv), precheck: compat.status, precheckReason: compat.reason,
            refused: [], translated: compat.details.find((d) => d.startsWith('Commands the source may send')) ?? '', result: 'pending',
          };
          if (fieldTtlLost || functionsLost) {
            expect(compat.status, `${sourceName} → ${name}: ${compat.reason}`).toBe('failed');
            if (fieldTtlLost) expect(compat.reason).toMatch(/fields carry their own expiry/);
            if (functionsLost) expect(compat.reason).toMatch(/function librar/);
            // The task meets it anyway: it must fail naming what it cannot carry.
            const failing = startTask(source, dest, { dbs: [0], dbMap: new Map([[0, si]]) });
            const failure = await waitFailed(failing);
            const err = describeError(failure);
            // Which of the two field-TTL hashes the snapshot holds first varies: the matrix names the pattern, so it stays put.
            const said = (failure instanceof Error ? failure.message : err).replace(/x:h:(small|big)/, 'x:h:small|big');
            if (functionsLost) expect(err).toMatch(/functions/);
            else expect(err).toMatch(/hash "x:h:(small|big)" has fields with their own expiry/);
            cell.refused.push(functionsLost ? `functions: the task fails ("${said}")` : `hash-field TTLs: the task fails naming the key ("${said}")`);
            if (functionsLost && fieldTtlLost) cell.refused.push('hash-field TTLs (the precheck names them; the functions fail the task first)');
            await dc.select(si);
            await dc.flushdb();
          } else {
            expect(compat.status, `${sourceName} → ${name}: ${compat.reason}`).not.toBe('failed');
          }
          plans.push({ name, dv, db: si, filtered: fieldTtlLost, functionsLost, cell });
          cells.push(cell);
        }

        // 2. Full migration, the load, and the check; destinations without functions after the others,
        //    with the source's functions deleted.
        const groups = [plans.filter((p) => !p.functionsLost), plans.filter((p) => p.functionsLost)];
        for (const [g, group] of groups.entries()) {
          if (!group.length) continue;
          if (g === 1) await src.call('FUNCTION', 'FLUSH');
          const tasks = group.map((p) => startTask(source, dests.get(p.name)!, {
            dbs: [0], dbMap: new Map([[0, p.db]]), ...(p.filtered ? { includePrefixes: [CARRIED_PREFIX] } : {}),
          }));
          running.push(...tasks);
          await Promise.all(tasks.map((t) => waitStage(t, 'incremental')));
          await runLoad(load, sv, { fieldTtl: seeded.fieldTtlKeys.length > 0, functions: seeded.functions && g === 0 });
          await Promise.all(tasks.map((t) => waitCaughtUp(t, src)));
          for (const [i, p] of group.entries()) {
            const dc = destClients.get(p.name)!;
            // Streams rewritten as commands into Redis < 6.2 (writer/key-writer.ts): see lossyStreamGroups.
            const lossy = !p.cell.restore && !hasFeature(p.dv, 'streamTrimMinid');
            if (lossy) p.cell.refused.push('stream groups rewritten as commands keep no pending entry of a deleted message and no consumer without pending entries (Redis 6.0 has no command that makes them)');
            const diffs = await compareContent(side(src, 0, sv), side(dc, p.db, p.dv),
              { include: p.filtered ? CARRIED_PREFIX : undefined, lossyStreamGroups: lossy });
            await src.select(0);
            if (diffs.length) p.cell.result = `differs: ${diffs.slice(0, 3).map((d) => `${d.key} ${d.what}`).join('; ')}`;
            expect(diffs.slice(0, 10), `${sourceName} → ${p.name}:\n${tasks[i].logText()}`).toEqual([]);
            if (seeded.functions && g === 0) expect(await libraries(dc)).toContain(FUNCTION_LIBRARY);
            // The project's own verifier agrees, across versions (sorted-set digests differ 7.0 ↔ 7.2+: it reads them).
            const verdict = await verify({
              source: parseRedisUrl(source.url), target: parseRedisUrl(dests.get(p.name)!.url), rounds: 1,
              filter: { dbs: [0], dbMap: new Map([[0, p.db]]), ...(p.filtered ? { includePrefixes: [CARRIED_PREFIX] } : {}) },
            });
            const differing = verdict.final.dbs.flatMap((d) => d.sample.map((c) => String(c.key)));
            // Where streams were rewritten into Redis < 6.2 the stream's groups differ as said above; nothing else may.
            expect(differing.filter((k) => !(lossy && k === 'c:st')), `${sourceName} → ${p.name}: the verifier`).toEqual([]);
            p.cell.result = 'equal';
            p.cell.commands = commands.length;
          }
          await Promise.all(tasks.map((t) => endTask(t)));
          running.splice(0);
        }
      } finally {
        await Promise.all(running.map((t) => t.task.stop().then(() => t.done)));
        src.disconnect();
        load.disconnect();
        await source.stop();
      }
    }, 120_000);
  }
});
