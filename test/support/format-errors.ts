/** Helpers for "throws FormatError and nothing else" assertions. */
import { FormatError } from '../../main/formats/format-error';

/** The FormatError fn throws, or undefined when it returns; any other error propagates (and fails the test). */
export function formatErrorOf(fn: () => unknown): FormatError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  return undefined;
}

/**
 * 'ok' when fn returns (and `check`, if given, accepts the result), 'FormatError' when it throws one;
 * any other error propagates. A hang guard records how long it took.
 */
export function outcomeOf<T>(fn: () => T, check: (value: T) => boolean = () => true): 'ok' | 'bad result' | 'FormatError' | 'too slow' {
  const t0 = performance.now();
  let result: 'ok' | 'bad result' | 'FormatError';
  try {
    result = check(fn()) ? 'ok' : 'bad result';
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    result = 'FormatError';
  }
  return performance.now() - t0 > 5000 ? 'too slow' : result;
}
