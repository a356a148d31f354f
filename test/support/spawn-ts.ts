/** Runs a TypeScript file of this repo in a child Node process (the project's Node, with tsx). */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const TSX = require.resolve('tsx');

export function spawnTs(file: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** Resolves with stdout once the child exits (rejects on a non-zero exit, with its stderr). */
export function runTs(file: string, args: string[], opts: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnTs(file, args, opts);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} exited ${code}: ${err.slice(-2000)}`))));
  });
}

/**
 * Collects a child's stdout lines; next(re) resolves with the first line matching `re` after the
 * previously matched one (lines that arrived earlier in the same chunk are not lost).
 */
export class LineReader {
  readonly lines: string[] = [];
  #partial = '';
  #cursor = 0;
  #exited: number | null | undefined = undefined;
  #wake: (() => void) | null = null;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      const parts = (this.#partial + d.toString()).split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#wake?.();
    });
    child.once('exit', (code) => {
      this.#exited = code;
      this.#wake?.();
    });
  }

  async next(re: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.lines.length) {
        const line = this.lines[this.#cursor++]!;
        if (re.test(line)) return line;
      }
      if (this.#exited !== undefined) throw new Error(`child exited (${this.#exited}) before ${re}; last lines: ${this.lines.slice(-5).join(' | ')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; last lines: ${this.lines.slice(-5).join(' | ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}
