/**
 * Exposes exactly the contract of ./api.ts on window.dvidDesk, nothing else: no generic invoke, no
 * ipcRenderer. Each method forwards to its own IPC channel; main validates sender and arguments.
 */
import { contextBridge, ipcRenderer } from 'electron';
import {
  API_EVENTS,
  API_GLOBAL,
  ipcCallChannel,
  ipcEventChannel,
  type DvidDeskApi,
  type DvidDeskEvents,
  type EventName,
  type MethodArg,
  type MethodName,
  type MethodResult,
} from './api';

type Reply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

/** One method of the contract: invoke its channel, unwrap main's envelope. Errors cross contextBridge as "[code] message". */
function method<M extends MethodName>(name: M): (arg?: MethodArg<M>) => Promise<MethodResult<M>> {
  const channel = ipcCallChannel(name);
  return async (...args) => {
    const reply = (await ipcRenderer.invoke(channel, ...args)) as Reply;
    if (!reply.ok) throw new Error(`[${reply.error.code}] ${reply.error.message}`);
    return reply.value as MethodResult<M>;
  };
}

const knownEvents: ReadonlySet<string> = new Set(API_EVENTS);

const api = {
  appInfo: method('appInfo'),
  connectionStatus: method('connectionStatus'),
  serverInfo: method('serverInfo'),
  searchNeurons: method('searchNeurons'),
  neuronsCsv: method('neuronsCsv'),
  statuses: method('statuses'),
  rois: method('rois'),
  roiConnectivity: method('roiConnectivity'),
  body: method('body'),
  partners: method('partners'),
  // body view and slices (issue 9)
  bodyMesh: method('bodyMesh'),
  bodySkeleton: method('bodySkeleton'),
  bodySynapses: method('bodySynapses'),
  roiMesh: method('roiMesh'),
  slice: method('slice'),
  sliceInfo: method('sliceInfo'),
  bodyNames: method('bodyNames'),
  bodyGeometry: method('bodyGeometry'),
  // Datasets (issue 8)
  recentServers: method('recentServers'),
  connect: method('connect'),
  useDemo: method('useDemo'),
  repos: method('repos'),
  selectNode: method('selectNode'),
  activeNode: method('activeNode'),
  instances: method('instances'),
  cacheInfo: method('cacheInfo'),
  syncPlan: method('syncPlan'),
  syncStart: method('syncStart'),
  syncPause: method('syncPause'),
  syncResume: method('syncResume'),
  syncCancel: method('syncCancel'),
  syncStatus: method('syncStatus'),
  on<E extends EventName>(event: E, listener: (payload: DvidDeskEvents[E]) => void) {
    if (!knownEvents.has(event)) throw new Error(`unknown event "${String(event)}"`);
    const channel = ipcEventChannel(event);
    const wrapped = (_e: unknown, payload: DvidDeskEvents[E]) => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  },
} satisfies DvidDeskApi;

contextBridge.exposeInMainWorld(API_GLOBAL, api);

/** For the contract test: the exposed keys, checked against API_METHODS. */
export type ExposedKeys = keyof typeof api;
