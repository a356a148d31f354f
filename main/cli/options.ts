/** Options shared by the commands that start the app (start, web) and their normalisation. */
import type { ServerRef } from '../../preload/api';

export interface LaunchOptions {
  cache?: string;
  server?: string;
  port?: string;
  open?: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses --server: http(s) only, no credentials in the URL, no trailing slash. */
export function parseServerUrl(raw: string): ServerRef {
  let u: URL;
  try {
    u = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw new UsageError(`--server "${raw}" is not a URL (expected e.g. http://host:8000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--server "${raw}": only http and https are supported`);
  if (u.username || u.password) throw new UsageError('--server must not carry credentials; use --token or DVID_TOKEN');
  const url = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  return { url, label: u.host, demo: false };
}

export function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port "${raw}" is not a port number (0-65535; 0 = any free port)`);
  return port;
}
