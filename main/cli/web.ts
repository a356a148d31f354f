/** `dvid-desk web`: browser mode. Prints the URL (with its token) as the first line, then serves until stopped. */
import { spawn } from 'node:child_process';
import { startApp } from '../app';
import { startWebBridge } from '../bridge/web';
import { RENDERER_DIR } from '../locations';
import { resolveCacheRoot } from '../paths';
import { parsePort, parseServerUrl, resolveToken, type LaunchOptions } from './options';


function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => console.error(`(could not open a browser; open the URL above yourself)`));
    child.unref();
  } catch {
    console.error('(could not open a browser; open the URL above yourself)');
  }
}

export async function runWeb(opts: LaunchOptions): Promise<number> {
  const port = parsePort(opts.port);
  const server = opts.server ? parseServerUrl(opts.server) : null;
  let last = '';
  const app = await startApp({
    mode: 'browser',
    cacheRoot: resolveCacheRoot({ flag: opts.cache }),
    server,
    token: resolveToken(opts.token),
    demo: {
      onProgress: (stage, f) => {
        const line = `No --server given: preparing the demo dataset (first run only): ${stage}${f !== undefined ? ` ${Math.round(f * 100)}%` : ''}`;
        if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
      },
    },
  });
  const bridge = await startWebBridge({ app, rendererDir: RENDERER_DIR, port });
  process.stdout.write(`${bridge.url}\n`);
  console.log(`DVID Desk in browser mode. Cache: ${resolveCacheRoot({ flag: opts.cache })}. Stop with Ctrl+C.`);
  if (app.demo) console.log(`No --server given: serving the demo dataset at ${app.demo.url} ("Demo dataset").`);
  if (opts.open !== false) openInBrowser(bridge.url);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await bridge.close();
  await app.close();
  return 0;
}
