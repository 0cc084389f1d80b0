/**
 * Runs once when a console server process starts. The Node-only start-up
 * (database migrations, the engine manager) lives in lib/engine/boot.ts so the
 * Edge build of this file never sees Node APIs.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { boot } = await import('./lib/engine/boot');
    await boot();
    const { bootAuth } = await import('./lib/auth/boot');
    await bootAuth();
  }
}
