/**
 * Worker-thread entry of the voxel pass: builds a VolumeEngine from the inputs it is given, then
 * answers job messages ({coord}) with their results (buffers transferred, not copied).
 * Built as its own entry (out/main/demo-volume-worker.js, see electron.vite.config.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { jobTransferList, VolumeEngine, type VolumeInputs } from './volume';

const engine = new VolumeEngine(workerData as VolumeInputs);
const port = parentPort!;
port.on('message', (msg: { coord: [number, number, number] }) => {
  try {
    let leaves = 0;
    const result = engine.job(msg.coord[0], msg.coord[1], msg.coord[2], () => {
      if (++leaves % 16 === 0) port.postMessage({ progress: 16 });
    });
    port.postMessage({ progress: leaves % 16 });
    port.postMessage({ result }, jobTransferList(result));
  } catch (e) {
    port.postMessage({ error: (e as Error).stack ?? String(e) });
  }
});
