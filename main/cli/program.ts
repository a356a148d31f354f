/** The `dvid-desk` command line: one subcommand per job; each returns its exit status. */
import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { runDecodeBlock, runEncodeBlock, type EncodeBlockOptions } from './blocks';
import { runDemoServer, type DemoServerCliOptions } from './demo-server';
import { runInspect, type InspectOptions } from './inspect';
import { UsageError, type LaunchOptions } from './options';
import { runRebuildCache, type RebuildOptions } from './rebuild-cache';
import { runStart } from './start';
import { runStatus, type StatusOptions } from './status';
import { runSync, type SyncOptions } from './sync';
import { runVerify, type VerifyOptions } from './verify';
import { runWeb } from './web';

function launchOptions(cmd: Command): Command {
  return cmd
    .option('--cache <dir>', 'cache root (default: the per-user app data folder, or $DVID_DESK_HOME)')
    .option('--server <url>', 'the DVID server to use, e.g. http://localhost:8000')
    .option('--token <token>', 'bearer token for servers that need authentication (default: $DVID_TOKEN; prefer the variable, arguments show in ps)');
}

export async function runCli(argv: string[]): Promise<number> {
  let status = 0;
  const program = new Command('dvid-desk')
    .description('DVID Desk: an offline-first desktop client for DVID connectomics servers')
    .version(version)
    .exitOverride()
    .showHelpAfterError();

  launchOptions(program.command('start').description('open the desktop window (browser mode when Electron is unavailable)'))
    .option('--port <n>', 'port for the browser-mode fallback (default: any free port)')
    .option('--no-open', 'do not open a browser in the fallback')
    .action(async (opts: LaunchOptions) => {
      status = await runStart(opts);
    });

  launchOptions(program.command('web').description('serve the app on 127.0.0.1 for a browser; prints the URL (with its token) first'))
    .option('--port <n>', 'port to listen on (default: any free port)')
    .option('--no-open', 'do not open a browser')
    .action(async (opts: LaunchOptions) => {
      status = await runWeb(opts);
    });

  program
    .command('decode-block')
    .description('write the raw voxels (uint64 little-endian, ZYX) of a DVID label block file (gzipped or not)')
    .argument('<in>', 'DVID compressed label Block (.dvidblk), or its gzip as /blocks?compression=blocks sends it')
    .argument('<out>', 'where to write the voxels')
    .action(async (inPath: string, outPath: string) => {
      status = await runDecodeBlock(inPath, outPath);
    });

  program
    .command('encode-block')
    .description('write the canonical DVID label block encoding of raw voxels (uint64 little-endian, ZYX; gzipped or not)')
    .argument('<in>', 'raw voxels')
    .argument('<out>', 'where to write the block')
    .option('--shape <x,y,z>', 'block size in voxels, e.g. 64,64,64')
    .option('--gzip', 'gzip the block, as a /blocks?compression=blocks payload')
    .action(async (inPath: string, outPath: string, opts: EncodeBlockOptions) => {
      status = await runEncodeBlock(inPath, outPath, opts);
    });

  program
    .command('inspect')
    .description('print one JSON line of facts per file (SWC, ngmesh, OBJ, PLY, Draco, sparsevol, tar, label block, block stream); failures go to stderr, exit 1')
    .argument('<file...>', 'files to inspect')
    .option('--as <format>', 'read every file as this format instead of guessing from extension and content')
    .action(async (files: string[], opts: InspectOptions) => {
      status = await runInspect(files, opts);
    });

  program
    .command('demo-server')
    .description('serve the embedded demo DVID (a seeded mini-hemibrain) on 127.0.0.1; prints its URL first')
    .option('--port <n>', 'port to listen on (default: any free port)')
    .option('--seed <n>', 'generator seed (default: 20200120)')
    .option('--size <n>', 'volume edge in voxels for benchmarks, a multiple of 64 (e.g. 2048)')
    .option('--small', 'the small test dataset (512³) instead of the default (1024³)')
    .option('--faults <file>', 'JSON array of fault rules (see main/demo/server/faults.ts)')
    .option('--data <dir>', 'where generated datasets are cached (default: $DVID_DESK_DEMO_DATA or the user cache folder)')
    .option('--no-jsonstore', 'answer as a DVID without [mutations] jsonstore: /mutations answers 400, /mutations-range never answers')
    .action(async (opts: DemoServerCliOptions) => {
      status = await runDemoServer(opts);
    });

  program
    .command('sync')
    .description('copy chosen instances of a DVID node into the cache (plans first; resumes an unfinished sync of the same plan; later runs fetch only what changed)')
    .requiredOption('--server <url>', 'the DVID server, e.g. http://localhost:8000')
    .option('--node <uuid[:branch]>', 'the node: full UUID, unique prefix, or UUID:branch (the branch leaf)')
    .option(
      '--instance <name[=scope]>',
      'an instance to sync and its scope: all | roi:EB,FB | bbox:x0,y0,z0-x1,y1,z1 | bodies:1,2 | bodies:@file | keys:A..B | top:N, labelmaps also ;scales=0-3 and ;labels=bodies (repeatable; default: every instance, scope all)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--plan <file.json>', 'instances and scopes from a file: {"node": …, "instances": [{"name": …, "scope": …}]}')
    .option('--max-bytes <n>', 'refuse plans estimated above this (default 4GiB; suffixes K, M, G, T)')
    .option('--cache <dir>', 'cache root (default: the per-user app data folder, or $DVID_DESK_HOME)')
    .option('--token <jwt>', 'bearer token for servers that require one (or $DVID_TOKEN)')
    .option('--concurrency <n>', 'requests in flight at once (default 4)')
    .option('--dry-run', 'print the plan and stop')
    .option('--full', 'read everything in scope again (default after a first sync: only what changed; a locked node is spot-checked)')
    .option('--block-compression <form>', 'labelmap block payloads: blocks (default: gzipped DVID blocks) or lz4 (raw voxels, ~10× larger on the wire)')
    .action(async (opts: SyncOptions) => {
      status = await runSync(opts);
    });

  program
    .command('status')
    .description('what each cache holds, per instance and node, and how fresh it is')
    .option('--cache <dir>', 'cache root, or one cache folder (default: the per-user app data folder, or $DVID_DESK_HOME)')
    .option('--json', 'machine-readable output')
    .option('--stale-after <age>', 'open-node data not re-checked for this long count as stale (default 1h; e.g. 30m, 2h, 1d)')
    .option('--check', "also ask each cache's server what changed since the last sync (mutation logs; per-body /lastmod where the server keeps none); reads only")
    .option('--token <jwt>', 'bearer token for --check on servers that require one (or $DVID_TOKEN)')
    .action(async (opts: StatusOptions) => {
      status = await runStatus(opts);
    });

  program
    .command('verify')
    .description('check every row and blob of the cache(s); report damage, change nothing (exit 1 when damaged)')
    .option('--cache <dir>', 'cache root, or one cache folder (default: the per-user app data folder, or $DVID_DESK_HOME)')
    .option('--json', 'machine-readable output')
    .action(async (opts: VerifyOptions) => {
      status = await runVerify(opts);
    });

  program
    .command('rebuild-cache')
    .description('move a damaged cache folder aside (kept, not deleted) so the next sync starts fresh')
    .requiredOption('--cache <dir>', 'the cache folder (…/<host_port>/<repo uuid>) to move aside')
    .action(async (opts: RebuildOptions) => {
      status = await runRebuildCache(opts);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof UsageError) {
      console.error(`dvid-desk: ${err.message}`);
      return 2;
    }
    console.error(`dvid-desk: ${(err as Error).message}`);
    return 1;
  }
}
