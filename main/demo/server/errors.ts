/**
 * DVID's error conventions (server/web.go):
 *
 * - server.BadRequest: HTTP 400, `text/plain; charset=utf-8`, `X-Content-Type-Options: nosniff`,
 *   body `"<message> (<URL path>).\n"`. It is how DVID says "not found" too.
 * - server.BadAPIRequest (unknown keyword): 400, `Bad API call (<path>) for data "<name>".  See API
 *   help at http://<host>/api/help/<type>` plus the newline http.Error adds.
 * - A few labelmap endpoints answer a bare 404 with an empty body; keyvalue GET /key answers 404 with
 *   `Key "k" not found\n`; an unrouted URL answers 404 `Could not find the URL: <path>\n`.
 *
 * Handlers throw these; the server turns them into replies, or appends their text to a stream that
 * already started with 200, exactly as Go's http.Error does after the first write.
 */

export class DvidError extends Error {
  constructor(
    readonly status: number,
    /** Full body text (already formatted), or null for an empty body. */
    readonly body: string | null,
  ) {
    super(body ?? `HTTP ${status}`);
  }
}

/** server.BadRequest(w, r, message): the message gets " (<path>)." and a newline. */
export function badRequest(path: string, message: string): DvidError {
  return new DvidError(400, `${message} (${path}).\n`);
}

export function badApi(path: string, host: string, name: string, type: string): DvidError {
  return new DvidError(400, `Bad API call (${path}) for data ${goQuote(name)}.  See API help at http://${host}/api/help/${type}\n`);
}

/**
 * GET /mutations on a server without `[mutations] jsonstore`: StreamMutationsForVersion fails before
 * writing anything and the handler passes its error to server.BadRequest.
 */
export function noJsonstore(path: string): DvidError {
  return badRequest(path, 'unable to write mutations to client: no jsonstore configured in [mutations] section of TOML config');
}

/** w.WriteHeader(404) with nothing written. */
export function emptyNotFound(): DvidError {
  return new DvidError(404, null);
}

/** http.Error(w, text, 404) */
export function textNotFound(text: string): DvidError {
  return new DvidError(404, `${text}\n`);
}

/** Go's %q of a string: double quotes, backslash escapes, non-printables as \x/\u escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go's strconv error texts, which DVID passes through verbatim. */
export function parseUintError(func: 'ParseUint' | 'Atoi' | 'ParseInt', text: string, range = false): string {
  return `strconv.${func}: parsing ${goQuote(text)}: ${range ? 'value out of range' : 'invalid syntax'}`;
}

/** strconv.ParseUint(s, 10, bits) as Go does it (no sign, no spaces, no "0x"). */
export function parseUint(text: string, bits = 64): bigint {
  if (!/^[0-9]+$/.test(text)) throw new Error(parseUintError('ParseUint', text));
  const v = BigInt(text);
  if (v >= 1n << BigInt(bits)) throw new Error(parseUintError('ParseUint', text, true));
  return v;
}

/** strconv.Atoi as Go does it (optional sign, decimal, fits int64). */
export function atoi(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new Error(parseUintError('Atoi', text));
  const v = Number(text);
  if (!Number.isSafeInteger(v)) throw new Error(parseUintError('Atoi', text, true));
  return v;
}
