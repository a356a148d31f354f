/**
 * `/…/` searches: a regular expression over the type and instance names.
 *
 * Bounded by construction: patterns are compiled by re2js (a port of RE2), whose matching time is
 * linear in the input, so no pattern can backtrack catastrophically (V8's RegExp can: `/(a+)+$/`
 * against a long name of a's never returns). RE2 syntax is Perl's minus backreferences and
 * lookaround; a pattern using them, or any malformed one, is refused with the parser's reason.
 * Matching is case-insensitive and unanchored (`^…$` anchors), like the plain text search.
 */
import { RE2JS } from 're2js';

export const REGEX_MAX_LENGTH = 500;

export class SearchSyntaxError extends Error {
  override name = 'SearchSyntaxError';
  readonly apiCode = 'bad-argument';
}

/** The pattern of a `/…/` search text, or null when the text is not one. */
export function regexOf(text: string): string | null {
  const t = text.trim();
  return t.length >= 2 && t.startsWith('/') && t.endsWith('/') ? t.slice(1, -1) : null;
}

export interface NameRegex {
  test(value: string): boolean;
}

/** Compiles a search pattern; throws SearchSyntaxError with the reason for a bad one. */
export function compileNameRegex(pattern: string): NameRegex {
  if (pattern.length === 0) throw new SearchSyntaxError('empty regular expression: write a pattern between the slashes, e.g. /^EPG/');
  if (pattern.length > REGEX_MAX_LENGTH) throw new SearchSyntaxError(`regular expression too long (${pattern.length} characters, at most ${REGEX_MAX_LENGTH})`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    const reason = (err as { getDescription?: () => string }).getDescription?.() ?? (err as Error).message;
    throw new SearchSyntaxError(`bad regular expression /${pattern.slice(0, 100)}/: ${reason} (RE2 syntax: no backreferences or lookaround)`);
  }
  return { test: (value) => re.test(value) };
}
