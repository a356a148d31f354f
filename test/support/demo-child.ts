/**
 * Runs the demo DVID in its own process (for tests that measure the client's memory: the server's
 * allocations must not land in the heap being measured). Prints one JSON line { url, root, child },
 * then serves until stdin closes or it is signalled.
 */
import { startDemoServer } from '../../main/demo/index';

const demo = await startDemoServer({ preset: 'small' });
process.stdout.write(`${JSON.stringify({ url: demo.url, root: demo.uuids.root, child: demo.uuids.child })}\n`);
const stop = (): void => {
  void demo.close().then(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
