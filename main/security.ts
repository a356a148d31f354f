/**
 * Every Electron-facing security decision, as plain functions that run (and are tested) under Node.
 * main/index.ts only wires them to Electron; main/bridge/web.ts reuses the CSP and path resolution.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** The renderer's origin in Electron: app://dvid-desk/… (a standard, secure custom scheme). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'dvid-desk';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * The one Content-Security-Policy of the renderer, sent as a header by the app:// protocol and by
 * browser mode alike. No inline script or style, no eval, network only to its own origin (the DVID
 * server is reached from main, never from the renderer).
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "manifest-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every renderer response carries, in both modes. */
export const RENDERER_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** webPreferences for every window: sandboxed, isolated, no Node. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  } as const;
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True for URLs of the app's own renderer (app://dvid-desk/…). Custom schemes have origin "null" in WHATWG URL, so compare parts. */
export function isAppUrl(url: string): boolean {
  const u = parseUrl(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/** Navigation policy: the window may only ever show the app's own pages. */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/** Hosts whose https links may be opened in the system browser. */
export const EXTERNAL_LINK_HOSTS: ReadonlySet<string> = new Set([
  'github.com',
  'neuprint.janelia.org',
  'www.janelia.org',
  'janelia.org',
  'flyem.janelia.org',
]);

/** Returns the normalised URL to open externally, or null when the link is not allowed. */
export function externalLinkTarget(url: string): string | null {
  const u = parseUrl(url);
  if (!u || u.protocol !== 'https:' || u.username || u.password || u.port) return null;
  return EXTERNAL_LINK_HOSTS.has(u.hostname) ? u.toString() : null;
}

/** What an IPC message's sender looks like (the parts of IpcMainInvokeEvent the check reads). */
export interface IpcSenderFacts {
  senderId: number;
  frameUrl: string | null;
  /** True when the sending frame is its window's top frame (no parent). */
  isTopFrame: boolean;
}

/**
 * An IPC message is accepted only from the app's own top frame, in one of the app's own windows.
 * Frames that navigated away, iframes and foreign webContents are refused.
 */
export function isTrustedIpcSender(facts: IpcSenderFacts, appWebContentsIds: ReadonlySet<number>): boolean {
  return appWebContentsIds.has(facts.senderId) && facts.isTopFrame && facts.frameUrl !== null && isAppUrl(facts.frameUrl);
}

/**
 * Maps a request path of the renderer (app:// or browser mode) to a file inside rendererDir, or null
 * when it would escape it. Uses path.relative, not a string prefix: "/renderer-evil" must not pass
 * for "/renderer".
 */
export function resolveRendererPath(rendererDir: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const root = resolve(rendererDir);
  const rel = decoded === '' || decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const target = resolve(root, rel);
  const back = relative(root, target);
  if (back === '' || back === '..' || back.startsWith(`..${sep}`) || isAbsolute(back)) return null;
  return target;
}

/** Resolves an app:// request URL (Electron protocol handler) to a file, or null. */
export function resolveAppProtocolRequest(rendererDir: string, requestUrl: string): string | null {
  if (!isAppUrl(requestUrl)) return null;
  const u = new URL(requestUrl);
  return resolveRendererPath(rendererDir, u.pathname);
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

export function mimeTypeFor(file: string): string {
  const dot = file.lastIndexOf('.');
  return (dot >= 0 && MIME[file.slice(dot).toLowerCase()]) || 'application/octet-stream';
}
