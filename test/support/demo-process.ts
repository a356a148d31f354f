/**
 * The demo server in a process of its own (benchmarks: the syncing process's time and memory are
 * measured without the server's). Usage: demo-process.ts [--size N | --small] — prints one JSON line
 * {url, root, child, repoRoot}, serves until its stdin closes.
 */
import { startDemoServer } from '../../main/demo/index';

const args = process.argv.slice(2);
const sizeAt = args.indexOf('--size');
const demo = await startDemoServer(sizeAt >= 0 ? { size: Number(args[sizeAt + 1]) } : { preset: args.includes('--small') ? 'small' : 'default' });
process.stdout.write(`${JSON.stringify({ url: demo.url, root: demo.uuids.root, child: demo.uuids.child, repoRoot: demo.repoRoot })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void demo.close().then(() => process.exit(0)));
