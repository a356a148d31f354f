import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, decideRetry, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from '../../../../main/dvid/retry';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

describe('backoff schedule', () => {
  it('doubles the ceiling each retry up to the cap, with the draw in [ceiling/2, ceiling]', () => {
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    ceilings.forEach((c, i) => {
      expect(backoffDelayMs(i + 1, policy, () => 0)).toBe(c / 2);
      expect(backoffDelayMs(i + 1, policy, () => 0.999999)).toBe(c);
    });
  });

  it('stays within its bounds for any draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
        const c = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
        const d = backoffDelayMs(retry, policy, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(c / 2));
        expect(d).toBeLessThanOrEqual(c);
      }),
    );
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-06-22T12:00:00Z');
  it('reads delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 22 Jun 2026 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Mon, 22 Jun 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });
  it('ignores what is neither', () => {
    for (const v of [undefined, '', 'soon', '-3', '1.5']) expect(parseRetryAfter(v, now)).toBeNull();
  });
});

describe('decideRetry', () => {
  it('never retries a non-idempotent request', () => {
    expect(decideRetry(1, false, { status: 503, retryAfterMs: null }, policy).retry).toBe(false);
    expect(decideRetry(1, false, { reset: true }, policy).retry).toBe(false);
  });

  it('stops after maxAttempts', () => {
    expect(decideRetry(4, true, { status: 429, retryAfterMs: null }, policy).retry).toBe(true);
    expect(decideRetry(5, true, { status: 429, retryAfterMs: null }, policy).retry).toBe(false);
  });

  it('waits at least the Retry-After, plus at most 10 % jitter', () => {
    for (const r of [0, 0.5, 0.9999]) {
      const d = decideRetry(1, true, { status: 503, retryAfterMs: 2000 }, policy, () => r);
      expect(d).toEqual({ retry: true, delayMs: expect.any(Number) });
      const delay = d.retry ? d.delayMs : -1;
      expect(delay).toBeGreaterThanOrEqual(2000);
      expect(delay).toBeLessThanOrEqual(2200);
    }
  });

  it('gives up at once when the server asks for more than the cap', () => {
    const d = decideRetry(1, true, { status: 429, retryAfterMs: 60_000 }, policy);
    expect(d).toEqual({ retry: false, why: expect.stringContaining('60000 ms') });
  });

  it('uses plain backoff for resets and a missing Retry-After', () => {
    expect(decideRetry(2, true, { reset: true }, policy, () => 0)).toEqual({ retry: true, delayMs: 100 });
    expect(decideRetry(3, true, { status: 503, retryAfterMs: null }, policy, () => 0)).toEqual({ retry: true, delayMs: 200 });
  });

  it('has a sane default policy', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeGreaterThan(1);
    expect(DEFAULT_RETRY_POLICY.maxRetryAfterMs).toBeGreaterThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
  });
});
