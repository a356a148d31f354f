import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DvidDeskApp } from '../../../main/app';
import { SESSION_COOKIE, startWebBridge, type WebBridge } from '../../../main/bridge/web';
import { CSP } from '../../../main/security';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Raw HTTP (node:http) so tests can set Host and Origin freely, as an attacker's page would. */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('browser-mode bridge', () => {
  let app: DvidDeskApp;
  let bridge: WebBridge;
  let auth: Record<string, string>;
  const rendererDir = mkdtempSync(join(tmpdir(), 'dd-renderer-'));

  beforeAll(async () => {
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
    mkdirSync(join(rendererDir, 'assets'));
    writeFileSync(join(rendererDir, 'assets', 'a.js'), 'export {}');
    writeFileSync(join(rendererDir, '..', 'secret.txt'), 'TOPSECRET-CONTENT');
    // An unreachable server: the app must report it offline, not hang or crash.
    const server = { url: `http://127.0.0.1:${await closedPort()}`, label: 'nowhere', demo: false };
    app = createApp({ mode: 'browser', cacheRoot: mkdtempSync(join(tmpdir(), 'dd-web-')), server, pollMs: 0 });
    bridge = await startWebBridge({ app, rendererDir });
    auth = { Authorization: `Bearer ${bridge.token}` };
  });
  afterAll(async () => {
    await bridge.close();
    await app.close();
  });

  it('prints a loopback URL carrying the token in the fragment', () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{40,}$/);
    expect(bridge.url.endsWith(bridge.token)).toBe(true);
  });

  it('round-trips a call with the token as Bearer', async () => {
    const r = await send(bridge.port, 'POST', '/api/call/appInfo', auth);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { result: { mode: string; server: { label: string } } };
    expect(body.result.mode).toBe('browser');
    expect(body.result.server.label).toBe('nowhere');
  });

  it('trades the token once for an HttpOnly SameSite=Strict cookie that then authorises calls', async () => {
    const trade = await send(bridge.port, 'POST', '/api/session', auth);
    expect(trade.status).toBe(204);
    const cookie = String(trade.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=/`));
    expect(cookie).not.toContain(bridge.token);
    const pair = cookie.split(';')[0]!;
    const r = await send(bridge.port, 'POST', '/api/call/appInfo', { Cookie: pair, Origin: bridge.origin });
    expect(r.status).toBe(200);
    const forged = await send(bridge.port, 'POST', '/api/call/appInfo', { Cookie: `${SESSION_COOKIE}=${bridge.token}` });
    expect(forged.status).toBe(401);
  });

  it('refuses a missing or wrong token', async () => {
    const none = await send(bridge.port, 'POST', '/api/call/appInfo');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.code).toBe('unauthorized');
    const wrong = await send(bridge.port, 'POST', '/api/call/appInfo', { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const trade = await send(bridge.port, 'POST', '/api/session', { Authorization: 'Bearer nope' });
    expect(trade.status).toBe(401);
    expect(trade.headers['set-cookie']).toBeUndefined();
    const events = await send(bridge.port, 'GET', '/api/events');
    expect(events.status).toBe(401);
  });

  it('refuses a foreign Origin, even with the token', async () => {
    const r = await send(bridge.port, 'POST', '/api/call/appInfo', { ...auth, Origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toMatch(/foreign Origin/);
    const otherPort = await send(bridge.port, 'POST', '/api/call/appInfo', { ...auth, Origin: `http://127.0.0.1:${bridge.port + 1}` });
    expect(otherPort.status).toBe(403);
  });

  it('refuses a foreign Host (DNS rebinding), even with the token', async () => {
    const r = await send(bridge.port, 'POST', '/api/call/appInfo', { ...auth, Host: `evil.example:${bridge.port}` });
    expect(r.status).toBe(421);
    expect(JSON.parse(r.body).error.message).toMatch(/foreign Host/);
    const ok = await send(bridge.port, 'POST', '/api/call/appInfo', { ...auth, Host: `localhost:${bridge.port}` });
    expect(ok.status).toBe(200);
  });

  it('answers an unknown method with 404, never a crash', async () => {
    for (const name of ['evalCode', '__proto__', 'constructor', '%E0%A4%A']) {
      const r = await send(bridge.port, 'POST', `/api/call/${name}`, auth);
      expect(r.status, name).toBe(404);
      expect(JSON.parse(r.body).error.code).toBe('unknown-method');
    }
  });

  it('answers malformed arguments with 400 naming the problem', async () => {
    const json = { ...auth, 'Content-Type': 'application/json' };
    const wrongType = await send(bridge.port, 'POST', '/api/call/connectionStatus', json, '{"refresh":"yes"}');
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.body).error.message).toMatch(/connectionStatus: refresh/);
    const extraKey = await send(bridge.port, 'POST', '/api/call/connectionStatus', json, '{"refresh":true,"x":1}');
    expect(extraKey.status).toBe(400);
    const notJson = await send(bridge.port, 'POST', '/api/call/connectionStatus', json, '{refresh');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error.message).toMatch(/not valid JSON/);
    const formPost = await send(bridge.port, 'POST', '/api/call/connectionStatus', { ...auth, 'Content-Type': 'text/plain' }, '{"refresh":true}');
    expect(formPost.status).toBe(400);
    const huge = await send(bridge.port, 'POST', '/api/call/connectionStatus', json, `{"refresh":"${'x'.repeat(2 << 20)}"}`);
    expect(huge.status).toBe(400);
    // Still alive after all that.
    expect((await send(bridge.port, 'POST', '/api/call/appInfo', auth)).status).toBe(200);
  });

  it('reports an unreachable server as offline, with the reason', async () => {
    const r = await send(bridge.port, 'POST', '/api/call/connectionStatus', { ...auth, 'Content-Type': 'application/json' }, '{"refresh":true}');
    const status = JSON.parse(r.body).result;
    expect(status.state).toBe('offline');
    expect(status.error).toMatch(/cannot reach/);
    const info = await send(bridge.port, 'POST', '/api/call/serverInfo', auth);
    // A typed DVID network failure maps to the contract's "offline" code (503), not a generic 500.
    expect(info.status).toBe(503);
    expect(JSON.parse(info.body).error.code).toBe('offline');
    expect(JSON.parse(info.body).error.message).toMatch(/cannot reach/);
  });

  it('pushes events over SSE', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: bridge.port, path: '/api/events', headers: { ...auth, Host: `127.0.0.1:${bridge.port}` } },
        (res) => {
          expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            if (buf.includes('event: connection')) {
              req.destroy();
              resolve(buf);
            }
          });
          // Once subscribed, trigger an event through the API itself.
          setTimeout(() => void send(bridge.port, 'POST', '/api/call/connectionStatus', { ...auth, 'Content-Type': 'application/json' }, '{"refresh":true}'), 50);
        },
      );
      req.on('error', reject);
      req.end();
    });
    const data = /event: connection\ndata: (.*)\n/.exec(got)![1]!;
    expect(JSON.parse(data).state).toBe('offline');
  });

  it('serves the renderer with the CSP and keeps paths inside its folder', async () => {
    const index = await send(bridge.port, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toBe(CSP);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const asset = await send(bridge.port, 'GET', '/assets/a.js');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await send(bridge.port, 'GET', p);
      expect(r.body, p).not.toContain('TOPSECRET');
      expect(r.status, p).toBe(404);
    }
    const post = await send(bridge.port, 'POST', '/index.html', auth);
    expect(post.status).toBe(405);
  });
});
