/**
 * Electron shell only: app lifecycle, the window, the app:// protocol and the IPC binding. Every
 * decision it applies (CSP, sender check, navigation, path resolution, webPreferences) is a plain
 * function of ./security.ts, tested under Node; this file just wires them to Electron.
 */
import { app, BrowserWindow, ipcMain, net, protocol, session, shell } from 'electron';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startApp } from './app';
import { bindIpc } from './bridge/ipc';
import { parseServerUrl, resolveToken } from './cli/options';
import { PRELOAD_FILE as PRELOAD, RENDERER_DIR } from './locations';
import { resolveCacheRoot } from './paths';
import {
  APP_SCHEME,
  APP_URL,
  externalLinkTarget,
  isAllowedNavigation,
  RENDERER_HEADERS,
  resolveAppProtocolRequest,
  secureWebPreferences,
} from './security';


const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { cache: { type: 'string' }, server: { type: 'string' }, token: { type: 'string' } },
  strict: false,
});

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);

app.enableSandbox();

const windows = new Set<BrowserWindow>();

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'DVID Desk',
    show: false,
    webPreferences: secureWebPreferences(PRELOAD),
  });
  windows.add(win);
  win.on('closed', () => windows.delete(win));
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    const target = externalLinkTarget(url);
    if (target) void shell.openExternal(target);
    return { action: 'deny' };
  });
  void win.loadURL(APP_URL);
}

void app.whenReady().then(async () => {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);

  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppProtocolRequest(RENDERER_DIR, request.url);
    if (!file) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(RENDERER_HEADERS)) headers.set(k, v);
    return new Response(res.body, { status: res.status, headers });
  });

  const server = typeof flags.server === 'string' ? parseServerUrl(flags.server) : null;
  // With no --server the window opens on the embedded demo dataset.
  const core = await startApp({
    mode: 'electron',
    cacheRoot: resolveCacheRoot({ flag: typeof flags.cache === 'string' ? flags.cache : undefined }),
    server,
    token: resolveToken(typeof flags.token === 'string' ? flags.token : undefined),
    electronVersion: process.versions.electron ?? null,
  });
  bindIpc({
    ipcMain,
    app: core,
    appWebContentsIds: () => new Set([...windows].map((w) => w.webContents.id)),
    broadcast: (channel, payload) => {
      for (const w of windows) if (!w.isDestroyed()) w.webContents.send(channel, payload);
    },
    onRefused: (reason) => console.warn(`[ipc] ${reason}`),
  });
  app.on('will-quit', () => void core.close());

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
