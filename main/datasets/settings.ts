/**
 * `<cache root>/settings.json`: what the app remembers between launches. Today that is the list of
 * recent servers (newest first). A token is NEVER written here (nor anywhere on disk): a server that
 * needs one asks for it again after a restart, or gets it from DVID_TOKEN / --token.
 *
 * The file is small and rewritten whole, atomically (temp file + rename), so a crash leaves the old
 * or the new list, never half of one. An unreadable or malformed file is treated as empty (and kept
 * until the next write replaces it): settings must never stop the app from opening.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerRef } from '../../preload/api';

export const SETTINGS_FILE = 'settings.json';
const MAX_RECENT = 12;

export interface RecentServer extends ServerRef {
  /** ms since the epoch of the last connect */
  lastUsed: number;
}

interface SettingsFile {
  version: 1;
  recentServers: RecentServer[];
}

function isRecent(x: unknown): x is RecentServer {
  if (!x || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return typeof o.url === 'string' && typeof o.label === 'string' && typeof o.demo === 'boolean' && typeof o.lastUsed === 'number';
}

export class Settings {
  constructor(readonly root: string) {}

  get file(): string {
    return join(this.root, SETTINGS_FILE);
  }

  #read(): SettingsFile {
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<SettingsFile>;
      const list = Array.isArray(raw.recentServers) ? raw.recentServers.filter(isRecent) : [];
      return { version: 1, recentServers: list };
    } catch {
      return { version: 1, recentServers: [] };
    }
  }

  #write(s: SettingsFile): void {
    mkdirSync(this.root, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  recentServers(): RecentServer[] {
    return this.#read().recentServers.toSorted((a, b) => b.lastUsed - a.lastUsed);
  }

  /**
   * Puts `server` first. The demo is remembered as one entry whatever port it ran on (its URL changes
   * every launch); a real server is keyed by its normalised URL.
   */
  remember(server: ServerRef, now = Date.now()): void {
    const s = this.#read();
    const same = (r: RecentServer) => (server.demo ? r.demo : !r.demo && r.url === server.url);
    const entry: RecentServer = { url: server.demo ? '' : server.url, label: server.label, demo: server.demo, lastUsed: now };
    s.recentServers = [entry, ...s.recentServers.filter((r) => !same(r))].slice(0, MAX_RECENT);
    try {
      this.#write(s);
    } catch {
      // A read-only cache root: the list is simply not remembered.
    }
  }
}
