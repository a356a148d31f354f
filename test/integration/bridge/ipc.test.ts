import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_METHODS, ipcCallChannel, ipcEventChannel } from '../../../preload/api';
import { createApp, type DvidDeskApp } from '../../../main/app';
import { bindIpc } from '../../../main/bridge/ipc';
import { appFrame, RecordingIpcMain } from '../../support/recording-ipc-main';

describe('IPC binding (with RecordingIpcMain standing in for Electron ipcMain)', () => {
  let app: DvidDeskApp;
  afterEach(async () => app?.close());

  function setup() {
    app = createApp({ mode: 'electron', cacheRoot: mkdtempSync(join(tmpdir(), 'dd-ipc-')), server: null, pollMs: 0 });
    const ipcMain = new RecordingIpcMain();
    const sent: Array<[string, unknown]> = [];
    const unbind = bindIpc({ ipcMain, app, appWebContentsIds: () => new Set([1]), broadcast: (c, p) => sent.push([c, p]) });
    return { ipcMain, sent, unbind };
  }

  it('registers exactly one channel per contract method, and removes them on unbind', () => {
    const { ipcMain, unbind } = setup();
    expect([...ipcMain.handlers.keys()].toSorted()).toEqual(API_METHODS.map(ipcCallChannel).toSorted());
    unbind();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('answers the app top frame', async () => {
    const { ipcMain } = setup();
    const reply = (await ipcMain.invoke(ipcCallChannel('appInfo'), appFrame())) as { ok: boolean; value: { mode: string } };
    expect(reply.ok).toBe(true);
    expect(reply.value.mode).toBe('electron');
  });

  it.each([
    ['another webContents', { sender: { id: 2 }, senderFrame: { url: 'app://dvid-desk/index.html', parent: null } }],
    ['an iframe of the app window', { sender: { id: 1 }, senderFrame: { url: 'app://dvid-desk/index.html', parent: {} } }],
    ['a page that navigated elsewhere', { sender: { id: 1 }, senderFrame: { url: 'https://evil.example/', parent: null } }],
    ['a destroyed frame', { sender: { id: 1 }, senderFrame: null }],
  ])('refuses %s before any handler runs', async (_name, event) => {
    const { ipcMain } = setup();
    const reply = await ipcMain.invoke(ipcCallChannel('appInfo'), event);
    expect(reply).toEqual({ ok: false, error: { code: 'forbidden', message: 'sender is not the app window' } });
  });

  it('refuses malformed arguments with the field named', async () => {
    const { ipcMain } = setup();
    const bad = (await ipcMain.invoke(ipcCallChannel('connectionStatus'), appFrame(), { refresh: 1 })) as { ok: boolean; error: { code: string; message: string } };
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('bad-argument');
    expect(bad.error.message).toMatch(/refresh/);
    const extra = (await ipcMain.invoke(ipcCallChannel('appInfo'), appFrame(), undefined, 'x')) as { ok: boolean; error: { code: string } };
    expect(extra.error.code).toBe('bad-argument');
  });

  it('has no channel for unknown methods', async () => {
    const { ipcMain } = setup();
    await expect(ipcMain.invoke('dvid-desk:call:evalCode', appFrame())).rejects.toThrow(/No handler/);
  });

  it('forwards app events to the windows', async () => {
    const { sent } = setup();
    app.events.emit('connection', { state: 'offline', serverVersion: null, checkedAt: null, error: 'test', stale: null, maybeStale: null, lastOnlineAt: null });
    expect(sent).toEqual([[ipcEventChannel('connection'), { state: 'offline', serverVersion: null, checkedAt: null, error: 'test', stale: null, maybeStale: null, lastOnlineAt: null }]]);
  });
});
