/** Parsing of DVID's geometry arguments ("x_y_z", "0_1_2", ?scale=) with its error texts. */
import { atoi, badRequest } from './errors';
import { MAX_SCALE } from '../dataset/presets';

/** dvid.StringToPoint3d / NdString.Point3d */
export function point3d(path: string, text: string): [number, number, number] {
  const elems = text.split('_');
  if (elems.length !== 3) throw badRequest(path, `String ${JSON.stringify(text)} cannot be converted to a 3d point`);
  return elems.map((e) => {
    try {
      return atoi(e);
    } catch (err) {
      throw badRequest(path, (err as Error).message);
    }
  }) as [number, number, number];
}

/** getScale(): "" → 0; Atoi errors are reported as "bad scale specified: …"; Go stores it in a uint8. */
export function scaleOf(path: string, query: URLSearchParams): number {
  const s = query.get('scale') ?? '';
  if (s === '') return 0;
  let n: number;
  try {
    n = atoi(s);
  } catch (err) {
    throw badRequest(path, `bad scale specified: ${(err as Error).message}`);
  }
  return ((n % 256) + 256) % 256;
}

/** Scales past the stored ones have no blocks (DVID answers them empty). */
export const hasScale = (scale: number): boolean => scale <= MAX_SCALE;

export interface Box {
  offset: [number, number, number];
  size: [number, number, number];
}

/** dvid.NewSubvolumeFromStrings(offset, size, "_") */
export function subvolume(path: string, sizeText: string, offsetText: string): Box {
  const offset = point3d(path, offsetText);
  const size = point3d(path, sizeText);
  return { offset, size };
}

export const pointString = (p: readonly number[]): string => `(${p.join(',')})`;
