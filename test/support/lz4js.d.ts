// Types for the parts of lz4js (devDependency, the independent LZ4 used to cross-check main/formats/lz4.ts).
declare module 'lz4js' {
  /** Decodes a raw LZ4 block src[sIndex, sIndex+sLength) into dst from dIndex; returns the end index in dst. */
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
  /** Encodes src[sIndex, sIndex+sLength) as a raw LZ4 block into dst; returns its length, 0 if it found no match. */
  export function compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  export function compressBound(n: number): number;
}
