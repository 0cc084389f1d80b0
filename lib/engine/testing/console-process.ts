/**
 * Test support: a stand-in for the console's server process — an EngineManager
 * over the database named by DATABASE_URL that starts one task (`start <id>`) or
 * resumes every running one (`recover`), prints "ready", and lives until it is
 * killed. A fault test kills it with SIGKILL, as an operator's OOM killer would.
 */
export {};

const { EngineManager } = await import('../manager');

const [command, taskId] = process.argv.slice(2);
const manager = new EngineManager();
if (command === 'start' && taskId) await manager.perform(taskId, 'start');
else await manager.recover();
process.stdout.write('ready\n');
setInterval(() => undefined, 1 << 30);
