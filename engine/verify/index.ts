/** Data verification: full (rounds) and incremental. See docs/verification.md. */
export { Verifier, verify, DEFAULT_ROUNDS, DEFAULT_INTERVAL_MS, DEFAULT_SAMPLE_SIZE, DEFAULT_MAX_RECHECK_KEYS, DEFAULT_BATCH_SIZE } from './verifier';
export { IncrementalVerifier, type IncrementalVerifierOptions, type IncrementalStats } from './incremental';
export { VerifyError } from './side';
export * from './types';
