/**
 * When a DVID request may be tried again, and how long to wait first (pure functions; http.ts applies them).
 *
 * Only idempotent requests (GET and HEAD unless a call says otherwise) are retried, and only when the
 * server said "not now" (429: blocklist/throttle, 503: `throttle=true` at its limit or marked unavailable)
 * or the connection was reset before a usable answer. A 500, a 400, a timeout or a refused connection is
 * not retried: doing it again would give the same answer or just add load. Writes are never retried by
 * default: a reset after DVID applied a POST would apply it twice (and log two mutations).
 */

export interface RetryPolicy {
  /** Total attempts, the first one included. */
  maxAttempts: number;
  /** Backoff ceiling of the first retry; doubles each retry. */
  baseDelayMs: number;
  /** Cap on the computed backoff. */
  maxDelayMs: number;
  /**
   * Cap on a server's Retry-After. A longer one is not waited for: the call fails at once with the
   * server's answer (DvidUnavailableError carries the Retry-After) instead of retrying sooner than asked.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/**
 * Backoff before retry number `retry` (1 = the first retry): "equal jitter", i.e. a uniform draw in
 * [ceiling/2, ceiling] with ceiling = min(maxDelay, base·2^(retry-1)). Half fixed so the gap still grows
 * with bad luck, half random so clients that failed together do not come back together.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); null if absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return null;
  const v = raw.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return null; // "1.5", "-3": not valid delta-seconds, not a date
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

export type RetryReason = { status: 429 | 503; retryAfterMs: number | null } | { reset: true };

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; why: string };

/**
 * Whether to try again after attempt number `attempt` (1-based) failed for `reason`. With a Retry-After the
 * wait is at least what the server asked (plus up to 10 % jitter), never less.
 */
export function decideRetry(
  attempt: number,
  idempotent: boolean,
  reason: RetryReason,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (!idempotent) return { retry: false, why: 'not idempotent' };
  if (attempt >= policy.maxAttempts) return { retry: false, why: `gave up after ${attempt} attempts` };
  const backoff = backoffDelayMs(attempt, policy, random);
  if ('reset' in reason) return { retry: true, delayMs: backoff };
  const { retryAfterMs } = reason;
  if (retryAfterMs === null) return { retry: true, delayMs: backoff };
  if (retryAfterMs > policy.maxRetryAfterMs) {
    return { retry: false, why: `server asked to wait ${retryAfterMs} ms, more than the ${policy.maxRetryAfterMs} ms cap` };
  }
  return { retry: true, delayMs: Math.max(backoff, Math.ceil(retryAfterMs * (1 + 0.1 * random()))) };
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
