/**
 * Binds the contract to Electron's ipcMain: one handle() per method, each refusing any sender other
 * than the app's own top frame and validating its argument before the implementation runs. It takes
 * the ipcMain it binds to (tests hand it a recording stand-in), so it never imports electron itself.
 */
import { API_EVENTS, API_METHODS, ipcCallChannel, ipcEventChannel, type ApiErrorBody } from '../../preload/api';
import type { DvidDeskApp } from '../app';
import { isTrustedIpcSender } from '../security';
import { dispatch, errorBody } from './dispatch';

/** The parts of Electron's IpcMainInvokeEvent this module reads. */
export interface InvokeEventLike {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

/** The parts of Electron's ipcMain this module uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** Envelope of every reply: preload unwraps it and throws "[code] message" on failure. */
export type IpcReply = { ok: true; value: unknown } | ({ ok: false } & ApiErrorBody);

export interface BindIpcOptions {
  ipcMain: IpcMainLike;
  app: DvidDeskApp;
  /** ids of the app's own webContents (its windows). */
  appWebContentsIds: () => ReadonlySet<number>;
  /** Sends an event to every app window (webContents.send). */
  broadcast: (channel: string, payload: unknown) => void;
  /** Called for each refused message (logged by the shell). */
  onRefused?: (reason: string) => void;
}

export function bindIpc(opts: BindIpcOptions): () => void {
  const { ipcMain, app } = opts;
  for (const method of API_METHODS) {
    ipcMain.handle(ipcCallChannel(method), async (event, ...args): Promise<IpcReply> => {
      const facts = {
        senderId: event.sender.id,
        frameUrl: event.senderFrame?.url ?? null,
        isTopFrame: event.senderFrame !== null && event.senderFrame.parent === null,
      };
      if (!isTrustedIpcSender(facts, opts.appWebContentsIds())) {
        opts.onRefused?.(`refused ${method} from sender ${facts.senderId} (${facts.frameUrl ?? 'no frame'})`);
        return { ok: false, error: { code: 'forbidden', message: 'sender is not the app window' } };
      }
      if (args.length > 1) {
        return { ok: false, error: { code: 'bad-argument', message: `bad argument for ${method}: expected at most one argument, got ${args.length}` } };
      }
      try {
        return { ok: true, value: await dispatch(app, method, args[0]) };
      } catch (err) {
        return { ok: false, ...errorBody(err) };
      }
    });
  }
  const unsubscribers = API_EVENTS.map((name) => app.events.on(name, (payload) => opts.broadcast(ipcEventChannel(name), payload)));
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(ipcCallChannel(method));
    for (const off of unsubscribers) off();
  };
}
