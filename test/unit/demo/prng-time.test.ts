import { describe, expect, it } from 'vitest';
import { Rng } from '../../../main/demo/dataset/prng';
import { goTimeJson, goTimeString, rfc3339 } from '../../../main/demo/dataset/time';

describe('Rng', () => {
  it('is deterministic per seed and per named stream, and streams are independent of their use', () => {
    const a = new Rng(42), b = new Rng(42);
    expect(Array.from({ length: 5 }, () => a.u32())).toEqual(Array.from({ length: 5 }, () => b.u32()));
    const f1 = new Rng(42).fork('neurons').u32();
    const r = new Rng(42);
    r.u32();
    r.u32();
    expect(r.fork('neurons').u32()).toBe(f1);
    expect(new Rng(42).fork('synapses').u32()).not.toBe(f1);
    expect(new Rng(43).fork('neurons').u32()).not.toBe(f1);
  });

  it('draws floats in [0, 1) and ints in the closed range, roughly uniformly', () => {
    const r = new Rng(7);
    const hist = Array.from({ length: 10 }, () => 0);
    let outside = 0;
    const ints = new Set<number>();
    for (let i = 0; i < 20000; i++) {
      const f = r.float();
      if (f < 0 || f >= 1) outside++;
      else hist[Math.floor(f * 10)]++;
      ints.add(r.int(3, 5));
    }
    expect(outside).toBe(0);
    expect([...ints].toSorted()).toEqual([3, 4, 5]);
    for (const h of hist) expect(Math.abs(h - 2000)).toBeLessThan(250);
    expect(r.uuid()).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('Go timestamps', () => {
  const winter = { ms: Date.UTC(2020, 1, 3, 15, 46, 17, 634), ns: 373846 };
  const summer = { ms: Date.UTC(2019, 5, 3, 13, 0, 0, 0), ns: 0 };
  it('formats time.Time JSON with trimmed nanoseconds and the Eastern offset', () => {
    expect(goTimeJson(winter)).toBe('2020-02-03T10:46:17.634373846-05:00');
    expect(goTimeJson(summer)).toBe('2019-06-03T09:00:00-04:00');
    expect(rfc3339(winter)).toBe('2020-02-03T10:46:17-05:00');
  });
  it("formats time.Now().String() with the zone and the monotonic suffix", () => {
    expect(goTimeString(winter, 3605.25)).toBe('2020-02-03 10:46:17.634373846 -0500 EST m=+3605.250000000');
    expect(goTimeString(summer, 1)).toBe('2019-06-03 09:00:00 -0400 EDT m=+1.000000000');
  });
});
