/**
 * A task's engine process: runs one SyncTask and reports over IPC, so parsing a
 * snapshot or replaying a burst never stalls the console's event loop.
 * Started by lib/engine/manager.ts with `node --import tsx`.
 */
import { DtsError, describeError } from '../errors';
import { SyncTask } from '../sync/sync-task';
import type { ManagerMessage, WorkerMessage } from './protocol';

if (!process.send) {
  process.stderr.write('task-worker must be started by the engine manager (with an IPC channel)\n');
  process.exit(2);
}

let task: SyncTask | undefined;

function send(msg: WorkerMessage): void {
  process.send?.(msg);
}

process.on('message', (msg: ManagerMessage) => {
  switch (msg.type) {
    case 'start': {
      if (task) return;
      task = new SyncTask(msg.options);
      task.on('stage', (stage) => send({ type: 'stage', stage }));
      task.on('progress', (progress) => send({ type: 'progress', progress }));
      task.on('log', (level, message) => send({ type: 'log', level, message }));
      task.on('checkpoint', (c) => send({ type: 'checkpoint', ...c }));
      task.run().then(
        () => send({ type: 'done', stage: task!.progress.stage }),
        (err: unknown) => send({ type: 'failed', message: describeError(err), code: err instanceof DtsError ? err.code : undefined }),
      ).finally(() => {
        // Let the last messages flush, then leave.
        setTimeout(() => process.exit(0), 50);
      });
      return;
    }
    case 'pause':
      task?.pause();
      return;
    case 'resume':
      task?.resume();
      return;
    case 'stop':
      if (task) void task.stop();
      else process.exit(0);
      return;
  }
});

// The console went away: end cleanly (the checkpoint lets it resume later).
process.on('disconnect', () => {
  if (task) void task.stop();
  else process.exit(0);
});
