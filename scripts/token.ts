/** `npm run token -- …`: API tokens from the command line (lib/auth/token-cli.ts). */
import { runTokenCli, tokenCliError } from '../lib/auth/token-cli';

try {
  const out = await runTokenCli(process.argv.slice(2));
  if (out) process.stdout.write(`${out}\n`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`${tokenCliError(err)}\n`);
  process.exit(1);
}
