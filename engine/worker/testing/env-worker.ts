/**
 * Test support: a worker that reports the environment it was started with (over IPC, as the
 * engine's workers report) and exits. lib/engine/worker-process.test.ts reads it.
 */
process.send?.({ type: 'env', env: { ...process.env } }, () => process.exit(0));
