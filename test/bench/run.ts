/**
 * `npm run bench`: runs every test/bench/*.bench.ts in turn (or only those whose name contains one of
 * the arguments). Each bench module exports `run()`, which prints its figures, with ratios against a
 * baseline measured in the same run where one exists. Benchmarks never assert timings.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const filters = process.argv.slice(2);
const dir = import.meta.dirname;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .toSorted();

if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ') || '(none found)'}`);
  process.exit(1);
}
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { run: () => Promise<void> };
  await mod.run();
}
