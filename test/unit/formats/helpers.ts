/** Shared helpers for the format tests: fixtures, and the "decodes or throws FormatError" property. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { expect } from 'vitest';
import { FormatError } from '../../../main/formats/format-error';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'files');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** Runs `fn` and asserts it either returns or throws a FormatError (never another error type). */
export async function decodesOrFormatError(fn: () => unknown): Promise<'ok' | 'format-error'> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof FormatError)) throw new Error(`expected only FormatError, got ${String(err)}`, { cause: err });
    expect(Number.isInteger(err.offset)).toBe(true);
    expect(err.offset).toBeGreaterThanOrEqual(0);
    return 'format-error';
  }
}

/** The FormatError `fn` throws; fails the test if it returns or throws anything else. */
export function formatErrorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FormatError) return err;
    throw new Error(`expected a FormatError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a FormatError, but it returned');
}

/** A valid input cut short at any point, or with some bytes overwritten. */
export function damaged(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const truncation = fc.nat({ max: Math.max(0, valid.length - 1) }).map((n) => valid.slice(0, n));
  const mutation = fc
    .array(fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .map((edits) => {
      const copy = valid.slice();
      for (const [at, b] of edits) copy[at] = b;
      return copy;
    });
  const insertion = fc.tuple(fc.nat({ max: valid.length }), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, extra]) => {
    const out = new Uint8Array(valid.length + extra.length);
    out.set(valid.subarray(0, at));
    out.set(extra, at);
    out.set(valid.subarray(at), at + extra.length);
    return out;
  });
  return fc.oneof(truncation, mutation, insertion);
}

/**
 * Feeds damaged versions of `valid` to `decode`; every run must decode or throw FormatError (anything
 * else fails the property). Returns which outcomes occurred, so a test can also assert that the error
 * path was actually exercised.
 */
export async function fuzzOutcomes(valid: Uint8Array, decode: (bytes: Uint8Array) => unknown, numRuns = fcParams.numRuns): Promise<Set<string>> {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(damaged(valid), async (bytes) => {
      seen.add(await decodesOrFormatError(() => decode(bytes)));
    }),
    { ...fcParams, numRuns },
  );
  return seen;
}

/** Fixed seed by default so CI failures reproduce; FC_SEED overrides. */
export const fcParams = { seed: Number(process.env['FC_SEED'] ?? 20260622), numRuns: 300 };
