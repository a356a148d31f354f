import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_URL,
  CSP,
  externalLinkTarget,
  isAllowedNavigation,
  isTrustedIpcSender,
  resolveAppProtocolRequest,
  resolveRendererPath,
  secureWebPreferences,
} from '../../../main/security';

describe('CSP', () => {
  it('allows only the app itself: no inline script or style, no eval, no foreign network', () => {
    const directives = Object.fromEntries(CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });
});

describe('renderer path resolution', () => {
  const base = mkdtempSync(join(tmpdir(), 'dd-sec-'));
  const root = join(base, 'renderer');
  mkdirSync(root);
  mkdirSync(join(base, 'renderer-evil'));

  it('maps / to index.html and keeps asset paths inside', () => {
    expect(resolveRendererPath(root, '/')).toBe(join(root, 'index.html'));
    expect(resolveRendererPath(root, '/assets/index-abc.js')).toBe(join(root, 'assets', 'index-abc.js'));
  });

  it.each([
    ['/../package.json'],
    ['/%2e%2e/package.json'],
    ['/..%2fpackage.json'],
    ['/../renderer-evil/x.js'],
    ['/assets/../../secret'],
    ['/a%00.js'],
    ['/..\\windows'],
    ['/%E0%A4%A'],
  ])('refuses %s', (p) => {
    expect(resolveRendererPath(root, p)).toBeNull();
  });

  it('resolves app:// requests only for the app host', () => {
    expect(resolveAppProtocolRequest(root, 'app://dvid-desk/index.html')).toBe(join(root, 'index.html'));
    // The URL parser folds encoded dot segments at the root: the result stays inside.
    expect(resolveAppProtocolRequest(root, 'app://dvid-desk/%2e%2e/%2e%2e/etc/passwd')).toBe(join(root, 'etc', 'passwd'));
    expect(resolveAppProtocolRequest(root, 'app://other/index.html')).toBeNull();
    expect(resolveAppProtocolRequest(root, 'file:///etc/passwd')).toBeNull();
  });
});

describe('navigation and external links', () => {
  it('allows navigation only within app://dvid-desk', () => {
    expect(isAllowedNavigation(APP_URL)).toBe(true);
    expect(isAllowedNavigation('app://dvid-desk/#/neurons')).toBe(true);
    expect(isAllowedNavigation('https://evil.example/')).toBe(false);
    expect(isAllowedNavigation('app://dvid-desk.evil/')).toBe(false);
    expect(isAllowedNavigation('app://user:pw@dvid-desk/')).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd')).toBe(false);
    expect(isAllowedNavigation('not a url')).toBe(false);
  });

  it('opens externally only https links to allowlisted hosts, after parsing', () => {
    expect(externalLinkTarget('https://neuprint.janelia.org/?dataset=hemibrain')).toBe('https://neuprint.janelia.org/?dataset=hemibrain');
    expect(externalLinkTarget('http://neuprint.janelia.org/')).toBeNull();
    expect(externalLinkTarget('https://neuprint.janelia.org.evil.com/')).toBeNull();
    expect(externalLinkTarget('https://evil.com/?https://github.com')).toBeNull();
    expect(externalLinkTarget('https://github.com@evil.com/')).toBeNull();
    expect(externalLinkTarget('https://github.com:8443/')).toBeNull();
    expect(externalLinkTarget('javascript:alert(1)')).toBeNull();
  });
});

describe('IPC sender check', () => {
  const ids = new Set([7]);
  const ok = { senderId: 7, frameUrl: 'app://dvid-desk/index.html#/connect', isTopFrame: true };
  it('accepts the app top frame of an app window', () => {
    expect(isTrustedIpcSender(ok, ids)).toBe(true);
  });
  it.each([
    ['another webContents', { ...ok, senderId: 8 }],
    ['a subframe', { ...ok, isTopFrame: false }],
    ['a frame that navigated away', { ...ok, frameUrl: 'https://evil.example/' }],
    ['a destroyed frame', { ...ok, frameUrl: null }],
  ])('refuses %s', (_name, facts) => {
    expect(isTrustedIpcSender(facts, ids)).toBe(false);
  });
});

describe('webPreferences', () => {
  it('sandboxes and isolates every window', () => {
    const p = secureWebPreferences('/x/preload.cjs');
    expect(p).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, webviewTag: false, nodeIntegrationInWorker: false });
  });
});
