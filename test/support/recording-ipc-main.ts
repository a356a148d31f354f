/**
 * RecordingIpcMain: a stand-in for Electron's ipcMain (Electron cannot run here). It records the
 * handlers main/bridge/ipc.ts registers and lets a test invoke them as a given sender would.
 */
import type { InvokeEventLike, IpcMainLike } from '../../main/bridge/ipc';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => unknown;

export class RecordingIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Handler>();
  readonly removed: string[] = [];

  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
    this.removed.push(channel);
  }

  /** Like ipcRenderer.invoke from a frame: Electron rejects channels without a handler. */
  async invoke(channel: string, sender: InvokeEventLike, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return h(sender, ...args);
  }
}

export function appFrame(id = 1, url = 'app://dvid-desk/index.html#/connect'): InvokeEventLike {
  return { sender: { id }, senderFrame: { url, parent: null } };
}
