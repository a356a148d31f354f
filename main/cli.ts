/**
 * Entry of the `dvid-desk` command (built to out/main/cli.js; bin/dvid-desk.mjs loads it).
 * The version guard runs before anything that loads native modules: better-sqlite3 crashes on Node < 22.
 */
import { argv, exit, versions } from 'node:process';

const major = Number(versions.node.split('.')[0]);
if (major < 22) {
  console.error(`dvid-desk needs Node 22 or newer (this is v${versions.node}; better-sqlite3 would crash): run it as "npx dvid-desk".`);
  exit(1);
}
const { runCli } = await import('./cli/program');
process.exitCode = await runCli(argv.slice(2));
