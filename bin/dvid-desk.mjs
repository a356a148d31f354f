#!/usr/bin/env node
// The dvid-desk command. Plain JavaScript on purpose: it must run (and refuse politely) on any Node.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `dvid-desk needs Node 22 or newer (this is v${process.versions.node}; better-sqlite3 would crash): run it as "npx dvid-desk", which uses the project's Node 24.`,
  );
  process.exit(1);
}
const { existsSync } = await import('node:fs');
const cli = new URL('../out/main/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('dvid-desk is not built yet: run "npm run build" (npm ci does it for you).');
  process.exit(1);
}
await import(cli.href);
