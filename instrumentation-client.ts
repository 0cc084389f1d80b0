/**
 * Runs in the browser before the console's own code. zod compiles object schemas
 * with `new Function` when it may, and probes for that at the first schema it
 * builds; the console's Content-Security-Policy allows no eval (lib/http/security-headers.ts),
 * so the probe would be reported as a violation. Schemas run interpreted instead.
 */
import { z } from 'zod';

z.config({ jitless: true });
