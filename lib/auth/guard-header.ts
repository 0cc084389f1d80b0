/** Header the proxy sets to the path (and query) it let through; pages use it for the sign-in redirect's `next`. */
export const PATH_HEADER = 'x-dts-path';
