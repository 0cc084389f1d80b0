/**
 * Test support: a stand-in for the console's server process — an EngineManager
 * over the database named by DATABASE_URL that starts one task (`start <id>`) or
 * resumes every running one (`recover`), prints "ready", and lives until it is
 * killed. A fault test kills it with SIGKILL, as an operator's OOM killer would.
 * `cutover <id>` starts the task, prints "running" once it replays the stream with a
 * known delay, then cuts it over with writes paused (60 s at most) when a line comes
 * on stdin — to be killed in the middle. `watch <id>` (distributed mode, DTS_QUEUE_URL set) starts
 * nothing and prints each live sample of the task, as the console's live pages receive them.
 */
export {};

const { EngineManager } = await import('../manager');

const [command, taskId] = process.argv.slice(2);
const manager = new EngineManager();
if ((command === 'start' || command === 'cutover') && taskId) await manager.perform(taskId, 'start');
else await manager.recover();
if (command === 'watch' && taskId) {
  manager.subscribe(taskId, (s) => process.stdout.write(`sample ${JSON.stringify({ stage: s.stage, keysDone: s.keysDone, rps: s.rps, delayMs: s.delayMs })}\n`));
}
process.stdout.write('ready\n');
if (command === 'cutover' && taskId) {
  const { cutOver } = await import('../cutover');
  while (!(manager.liveProgress(taskId)?.stage === 'incremental' && manager.liveProgress(taskId)?.delayMs !== null)) {
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stdout.write('running\n');
  process.stdin.once('data', () => {
    void cutOver(manager, taskId, { maxLagSeconds: 3600, pauseWrites: true, pauseLimitMs: 60_000, waitMs: 60_000, sampleKeys: 10 })
      .then((r) => process.stdout.write(`cut over: ${r.statement}\n`), (err: unknown) => process.stdout.write(`cut over failed: ${String(err)}\n`));
  });
}
setInterval(() => undefined, 1 << 30);
