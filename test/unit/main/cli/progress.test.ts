import { describe, expect, it } from 'vitest';
import type { SyncProgress } from '../../../../preload/api';
import { ProgressDisplay, progressBar, progressText } from '../../../../main/cli/progress';

const p = (over: Partial<SyncProgress> = {}): SyncProgress => ({
  jobId: 3,
  state: 'running',
  items: { done: 12, failed: 0, total: 48 },
  units: { done: 3000, total: 12_000 },
  bytes: { done: 25 * 1024 * 1024, estimated: 100 * 1024 * 1024 },
  rate: 2 * 1024 * 1024,
  etaSeconds: 37,
  current: ['segmentation', 'synapses'],
  ...over,
});

describe('sync progress display', () => {
  it('says how far, how fast, how long and what', () => {
    const t = progressText(p());
    expect(t).toMatch(/^ 25%/);
    expect(t).toContain('12/48 requests');
    expect(t).toContain('3,000 items');
    expect(t).toContain('25.0 MiB of ~100 MiB');
    expect(t).toContain('2.00 MiB/s');
    expect(t).toContain('ETA 0:37');
    expect(t).toContain('segmentation, synapses');
    expect(progressText(p({ state: 'paused', items: { done: 1, failed: 2, total: 4 } }))).toMatch(/\(2 failed\).*\[paused\]$/);
  });

  it('draws a bar that fits the terminal', () => {
    const line = progressBar(p(), 200);
    expect(line.length).toBeLessThan(200);
    expect(line).toMatch(/^\[#{10}-{30}\] /);
    expect(progressBar(p(), 120).length).toBeLessThan(120);
    expect(progressBar(p(), 40).length).toBeLessThan(40);
  });

  it('redraws one line on a terminal, writes throttled plain lines otherwise', () => {
    let tty = '';
    const onTty = new ProgressDisplay({ isTTY: true, columns: 100, write: (s: string) => (tty += s) });
    onTty.update(p());
    onTty.update(p({ bytes: { done: 50 * 1024 * 1024, estimated: 100 * 1024 * 1024 } }));
    onTty.done();
    expect(tty.split('\r\x1b[2K')).toHaveLength(3);
    expect(tty.endsWith('\n')).toBe(true);
    expect(tty.split('\n')).toHaveLength(2);

    let plain = '';
    const onFile = new ProgressDisplay({ write: (s: string) => (plain += s) }, 60_000);
    onFile.update(p());
    onFile.update(p()); // throttled
    onFile.update(p({ state: 'done' })); // a state change always prints
    onFile.done();
    expect(plain).not.toContain('\r');
    expect(plain.trim().split('\n')).toHaveLength(2);
    expect(plain).toMatch(/\[done\]\n$/);
  });
});
