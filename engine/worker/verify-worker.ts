/**
 * A Full Data Verification process: runs one engine/verify Verifier and reports
 * each round over IPC as it completes, so comparing millions of keys never
 * stalls the console's event loop. Started by lib/engine/verification.ts with
 * `node --import tsx`; `stop` (or the console going away) aborts the run.
 */
import { DtsError, describeError } from '../errors';
import { Verifier } from '../verify';
import type { VerifyManagerMessage, VerifyWorkerMessage } from './protocol';

if (!process.send) {
  process.stderr.write('verify-worker must be started by the engine manager (with an IPC channel)\n');
  process.exit(2);
}

const PROGRESS_INTERVAL_MS = 500;

const abort = new AbortController();
let started = false;

function send(msg: VerifyWorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(msg, undefined, {}, () => resolve());
  });
}

function leave(): void {
  // Let the last messages flush, then leave.
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (msg: VerifyManagerMessage) => {
  switch (msg.type) {
    case 'verify': {
      if (started) return;
      started = true;
      let lastProgress = 0;
      const verifier = new Verifier({
        ...msg.job,
        signal: abort.signal,
        onProgress: (progress) => {
          const now = Date.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
          lastProgress = now;
          void send({ type: 'progress', progress });
        },
        // Awaited by the verifier: the round is on its way before the next one starts.
        onRound: (round) => send({ type: 'round', round }),
      });
      verifier.run().then(
        (result) => send({ type: 'done', result }),
        (err: unknown) => send({
          type: 'failed', message: describeError(err), code: err instanceof DtsError ? err.code : undefined, stopped: abort.signal.aborted,
        }),
      ).finally(leave);
      return;
    }
    case 'stop':
      if (!started) process.exit(0);
      abort.abort();
      return;
  }
});

// The console went away: stop comparing.
process.on('disconnect', () => {
  abort.abort();
  if (!started) process.exit(0);
  setTimeout(() => process.exit(0), 2_000).unref();
});
