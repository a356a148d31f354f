import { readTar } from '../../formats/tar';
import type { Inspector } from './inspector';

/** keyvalue tar bodies (`/keyrangevalues?tar=true`, `/keyvalues?jsontar=true`): one file per key. */
export const tarInspector: Inspector = {
  name: 'tar',
  extensions: ['.tar'],
  sniff: (bytes) => bytes.length >= 512 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar',
  inspect: (bytes) => {
    const entries = readTar(bytes);
    let total = 0;
    for (const e of entries) total += e.data.length;
    return Promise.resolve({
      entries: entries.length,
      bytes: total,
      names: entries.slice(0, 20).map((e) => e.name),
      ...(entries.length > 20 ? { namesOmitted: entries.length - 20 } : {}),
    });
  },
};
