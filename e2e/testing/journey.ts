/**
 * Pieces the journey specs share: a real source/destination redis-server pair
 * started for the spec file, full-page screenshots as test artifacts, and the
 * stored endpoint of a password-free self-managed server.
 */
import { test, type Page, type TestInfo } from '@playwright/test';
import { RedisServer } from '../../engine/testing/redis-server';

export interface ServerPair {
  source: RedisServer;
  target: RedisServer;
}

/** Starts a source (ready to sync at once) and a destination before the file's tests; stops them after. */
export function useServerPair(): () => ServerPair {
  let pair: Partial<ServerPair> = {};
  test.beforeAll(async () => {
    const [source, target] = await Promise.all([
      RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } }),
      RedisServer.start(),
    ]);
    pair = { source, target };
  });
  test.afterAll(async () => {
    await Promise.all([pair.source?.stop(), pair.target?.stop()]);
  });
  return () => {
    if (!pair.source || !pair.target) throw new Error('the servers are not started (useServerPair runs in beforeAll)');
    return pair as ServerPair;
  };
}

export async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true });
}

/** Task.source / Task.target JSON for a self-managed server without a password. */
export const selfManagedEndpoint = (port: number): string => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });
