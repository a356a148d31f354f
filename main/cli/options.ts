/** Options shared by the commands that start the app (start, web) and their normalisation. */
import type { ServerRef } from '../../preload/api';

export interface LaunchOptions {
  cache?: string;
  server?: string;
  /** Bearer token (else $DVID_TOKEN). Never printed. */
  token?: string;
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

/**
 * The DVID bearer token: `--token`, else $DVID_TOKEN, else none. Messages never include the value.
 * (Prefer the environment variable: a command-line argument is visible to other local users in `ps`.)
 */
export function resolveToken(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const from = flag !== undefined ? '--token' : 'DVID_TOKEN';
  const raw = (flag ?? env.DVID_TOKEN ?? '').trim();
  if (!raw) {
    if (flag !== undefined) throw new UsageError('--token is empty');
    return null;
  }
  // Header-safe characters only (RFC 6750 b64token and JWTs fit): refuse rather than send a broken header.
  if (!/^[\x21-\x7e]+$/.test(raw)) throw new UsageError(`${from} contains spaces or characters that cannot go in an HTTP header`);
  return raw;
}
