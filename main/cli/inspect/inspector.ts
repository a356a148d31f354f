// main/cli/inspect/inspector.ts
export interface Inspector {
  /** the name given to --as */
  name: string;
  /** lowercase file extensions with the dot, e.g. ['.swc'] */
  extensions: string[];
  /** true when the bytes look like this format (used when the extension says nothing) */
  sniff(bytes: Uint8Array): boolean;
  /** the facts a person would check, JSON-ready (bigints as decimal strings) */
  inspect(bytes: Uint8Array, fileName: string): Promise<Record<string, unknown>>;
}
