import { DtsError } from '../errors';

/** A task-level failure: the destination check, the retry time running out, an unsupported feature. */
export class SyncError extends DtsError {}
