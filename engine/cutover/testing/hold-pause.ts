/**
 * Test support: a process that pauses writes on a server (`<port> <hardLimitMs> <leaseMs>`),
 * prints "paused" and then holds the pause, renewing it, until it is killed — the way a
 * console that dies in the middle of a cut over holds it.
 */
import { WritePause } from '../write-pause';

const [port, hardLimitMs, leaseMs] = process.argv.slice(2).map(Number);
await WritePause.start([{ host: '127.0.0.1', port, mode: 'standalone' }], { hardLimitMs, leaseMs });
process.stdout.write('paused\n');
setInterval(() => undefined, 1 << 30);
