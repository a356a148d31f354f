/**
 * The sync progress display of the CLI: a bar redrawn in place on a terminal, plain lines (at most one
 * every few seconds, plus one per state change) when the output is a file or a pipe.
 */
import type { SyncProgress } from '../../preload/api';
import { bytes, count } from './format';

function eta(seconds: number | null): string {
  if (seconds === null) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Fraction done, by bytes when there is an estimate, else by items. */
export function fraction(p: SyncProgress): number {
  if (p.bytes.estimated > 0) return Math.min(1, p.bytes.done / p.bytes.estimated);
  return p.items.total ? (p.items.done + p.items.failed) / p.items.total : 0;
}

export function progressText(p: SyncProgress): string {
  const pct = `${Math.floor(fraction(p) * 100)}%`.padStart(4);
  const parts = [
    pct,
    `${count(p.items.done)}/${count(p.items.total)} requests${p.items.failed ? ` (${p.items.failed} failed)` : ''}`,
    `${count(p.units.done)} items`,
    `${bytes(p.bytes.done)} of ~${bytes(p.bytes.estimated)}`,
    `${bytes(Math.round(p.rate))}/s`,
    `ETA ${eta(p.etaSeconds)}`,
  ];
  if (p.current.length) parts.push(p.current.slice(0, 3).join(', '));
  if (p.state !== 'running') parts.push(`[${p.state}]`);
  return parts.join('  ');
}

export function progressBar(p: SyncProgress, columns: number): string {
  const text = progressText(p);
  const barWidth = Math.max(10, Math.min(40, columns - text.length - 4));
  const filled = Math.round(fraction(p) * barWidth);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${text}`;
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}

export interface ProgressSink {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressDisplay {
  #last = 0;
  #lastState = '';
  #drawn = false;

  constructor(
    private readonly out: ProgressSink,
    private readonly plainEveryMs = 5000,
  ) {}

  update(p: SyncProgress): void {
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${progressBar(p, this.out.columns ?? 100)}`);
      this.#drawn = true;
      return;
    }
    const now = Date.now();
    if (p.state === this.#lastState && now - this.#last < this.plainEveryMs) return;
    this.#last = now;
    this.#lastState = p.state;
    this.out.write(`${new Date(now).toISOString()}  ${progressText(p)}\n`);
  }

  /** Ends the bar's line so what follows starts on a fresh one. */
  done(): void {
    if (this.out.isTTY && this.#drawn) this.out.write('\n');
    this.#drawn = false;
  }
}
