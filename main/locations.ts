/**
 * Where the built pieces sit relative to the running main bundle. Every main-side chunk is emitted
 * flat into out/main/ (see electron.vite.config.ts), so import.meta.dirname is out/main wherever this
 * module ends up.
 */
import { join } from 'node:path';

export const MAIN_DIR = import.meta.dirname;
export const RENDERER_DIR = join(MAIN_DIR, '..', 'renderer');
export const PRELOAD_FILE = join(MAIN_DIR, '..', 'preload', 'index.cjs');
export const ELECTRON_ENTRY = join(MAIN_DIR, 'index.js');
