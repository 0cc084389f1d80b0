export { testConnection, toEndpoint } from './connection';
export type { ConnectionTarget, ConnectionOutcome, ServerSummary, ConnectionFailure } from './connection';
