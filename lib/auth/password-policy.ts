/** Password rules shared by the server (lib/auth/password.ts) and the forms. */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;
