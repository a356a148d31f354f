import { describe, expect, it } from 'vitest';
import {
  classifyHttpFailure,
  classifyTransportError,
  cleanServerText,
  DvidAbortedError,
  DvidBadRequestError,
  DvidBadResponseError,
  DvidLockedError,
  DvidNetworkError,
  DvidNotFoundError,
  DvidServerError,
  DvidTimeoutError,
  DvidTruncatedError,
  DvidUnauthorizedError,
  DvidUnavailableError,
  trailingServerError,
} from '../../../../main/dvid/errors';

const at = { method: 'GET', path: '/api/node/28841c8277e044a7b187dda03e18da13/segmentation/label/1_2_3' };
const http = (status: number, serverText = '') => classifyHttpFailure({ ...at, status, serverText });
const err = (code: string, message = code) => Object.assign(new Error(message), { code });
const enc = (s: string) => new TextEncoder().encode(s);

describe('classifyHttpFailure', () => {
  it('reads DVID 400 texts that mean "not found"', () => {
    const texts = [
      'invalid data instance name (/api/node/28841c/nope/info).',
      'Key "1234_swc" not found',
      'could not find UUID with partial match to 99 (/api/node/99/segmentation/info).',
      'branch "other" not found in repo "28841c8277e044a7b187dda03e18da13"',
      'Did not find element (1,2,3) in datastore (/api/node/x/synapses/element/1_2_3).',
    ];
    for (const t of texts) expect(http(400, t)).toBeInstanceOf(DvidNotFoundError);
  });

  it('treats a 404 (empty or not) as not found', () => {
    expect(http(404)).toBeInstanceOf(DvidNotFoundError);
    expect(http(404, 'Key "k" not found')).toBeInstanceOf(DvidNotFoundError);
  });

  it('tells a locked node and a read-only server from a bad request', () => {
    const locked = http(400, 'Cannot do POST on endpoint "key" of locked node 28841c8277e044a7b187dda03e18da13 (/api/node/…/kv/key/a).');
    expect(locked).toBeInstanceOf(DvidLockedError);
    expect((locked as DvidLockedError).scope).toBe('node');
    const ro = http(400, 'Server in read-only mode and will only accept GET and HEAD requests (/api/node/…).');
    expect((ro as DvidLockedError).scope).toBe('server');
    expect(http(400, 'Bad API call (/api/node/x/seg/nope) for data "seg".  See API help')).toBeInstanceOf(DvidBadRequestError);
    expect(http(400, 'no jsonstore configured in [mutations] section of TOML config')).toBeInstanceOf(DvidBadRequestError);
    expect(http(400, 'unknown index type "Foo"')).toBeInstanceOf(DvidBadRequestError);
    expect(http(422)).toBeInstanceOf(DvidBadRequestError);
  });

  it('maps auth, busy, server errors and odd statuses', () => {
    expect(http(401)).toBeInstanceOf(DvidUnauthorizedError);
    expect(http(403)).toBeInstanceOf(DvidUnauthorizedError);
    expect(http(400, 'JWT required via Authorization in request header (/api/…).')).toBeInstanceOf(DvidUnauthorizedError);
    const busy = classifyHttpFailure({ ...at, status: 429, serverText: 'User "x" is blocked' }, 2000);
    expect(busy).toBeInstanceOf(DvidUnavailableError);
    expect((busy as DvidUnavailableError).retryAfterMs).toBe(2000);
    expect(http(503)).toBeInstanceOf(DvidUnavailableError);
    expect(http(500, 'Panic detected on request')).toBeInstanceOf(DvidServerError);
    expect(http(500)).not.toBeInstanceOf(DvidUnavailableError);
    expect(http(302)).toBeInstanceOf(DvidBadResponseError);
    expect(http(206)).toBeInstanceOf(DvidBadResponseError);
  });

  it('carries method, path, status and text in fields and message', () => {
    const e = http(400, 'invalid data instance name (/api/x).');
    expect(e).toMatchObject({ method: 'GET', path: at.path, status: 400, serverText: 'invalid data instance name (/api/x).', kind: 'not-found' });
    expect(e.message).toContain('GET /api/node/28841c8277e044a7b187dda03e18da13/segmentation/label/1_2_3');
    expect(e.message).toContain('invalid data instance name');
  });
});

describe('cleanServerText', () => {
  it('scrubs the token wherever a server echoes it, and bounds the length', () => {
    expect(cleanServerText('bad token eyJhbGciOi.x.y given (/api/x).\n', 'eyJhbGciOi.x.y')).toBe('bad token [token] given (/api/x).');
    expect(cleanServerText('x'.repeat(5000), null, 100).length).toBeLessThan(140);
  });
});

describe('classifyTransportError', () => {
  const ctx = { ...at, timeouts: { connect: 1, headers: 2, body: 3 }, bytesReceived: null as number | null };

  it('names the timed-out phase', () => {
    expect(classifyTransportError(err('UND_ERR_CONNECT_TIMEOUT'), ctx)).toMatchObject({ phase: 'connect', timeoutMs: 1 });
    expect(classifyTransportError(err('UND_ERR_HEADERS_TIMEOUT'), ctx)).toMatchObject({ phase: 'headers', timeoutMs: 2 });
    const body = classifyTransportError(err('UND_ERR_BODY_TIMEOUT'), { ...ctx, bytesReceived: 10 });
    expect(body).toBeInstanceOf(DvidTimeoutError);
    expect(body).toMatchObject({ phase: 'body', timeoutMs: 3 });
  });

  it('tells "cannot reach" from "closed mid-body"', () => {
    const refused = classifyTransportError(err('ECONNREFUSED'), ctx);
    expect(refused).toBeInstanceOf(DvidNetworkError);
    expect((refused as DvidNetworkError).code).toBe('ECONNREFUSED');
    expect(classifyTransportError(err('ECONNRESET'), ctx)).toBeInstanceOf(DvidNetworkError);
    const mid = classifyTransportError(err('UND_ERR_SOCKET', 'other side closed'), { ...ctx, bytesReceived: 4096 });
    expect(mid).toBeInstanceOf(DvidTruncatedError);
    expect((mid as DvidTruncatedError).bytesReceived).toBe(4096);
    expect(classifyTransportError(err('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), { ...ctx, bytesReceived: 7 })).toBeInstanceOf(DvidTruncatedError);
  });

  it('reports an abort as an abort, whatever undici threw', () => {
    const ac = new AbortController();
    ac.abort();
    expect(classifyTransportError(err('UND_ERR_SOCKET'), { ...ctx, signal: ac.signal })).toBeInstanceOf(DvidAbortedError);
    expect(classifyTransportError(err('UND_ERR_ABORTED'), ctx)).toBeInstanceOf(DvidAbortedError);
  });
});

describe('trailingServerError', () => {
  it('finds DVID error text appended after binary records', () => {
    const records = new Uint8Array([1, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 4, 0, 0, 0, 0x1f, 0x8b, 8, 0]);
    const text = 'unable to send block (1,2,3): storage failure (/api/node/abc/segmentation/specificblocks).\n';
    const tail = new Uint8Array([...records, ...enc(text)]);
    expect(trailingServerError(tail)).toBe(text.trim());
  });

  it('does not mistake ordinary endings for error text', () => {
    expect(trailingServerError(enc('[1,2,3]'))).toBeNull();
    expect(trailingServerError(enc('#comment (see below).\n'))).toBeNull(); // no "(/path)." form
    expect(trailingServerError(new Uint8Array([0, 1, 2, 3]))).toBeNull();
    expect(trailingServerError(new Uint8Array(0))).toBeNull();
  });
});
