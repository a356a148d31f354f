import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDirFor, resolveCacheRoot } from '../../../main/paths';

describe('resolveCacheRoot', () => {
  const home = '/home/ann';
  it('prefers --cache, then DVID_DESK_HOME, then the OS folder', () => {
    expect(resolveCacheRoot({ flag: 'rel/dir', env: { DVID_DESK_HOME: '/x' }, home })).toBe(resolve('rel/dir'));
    expect(resolveCacheRoot({ env: { DVID_DESK_HOME: '/x' }, home })).toBe('/x');
    expect(resolveCacheRoot({ env: {}, platform: 'linux', home })).toBe(join(home, '.config', 'dvid-desk'));
    expect(resolveCacheRoot({ env: { XDG_CONFIG_HOME: '/cfg' }, platform: 'linux', home })).toBe('/cfg/dvid-desk');
    expect(resolveCacheRoot({ env: {}, platform: 'darwin', home })).toBe(join(home, 'Library', 'Application Support', 'dvid-desk'));
    expect(resolveCacheRoot({ env: { APPDATA: '/appdata' }, platform: 'win32', home })).toBe(join('/appdata', 'dvid-desk'));
  });
});

describe('cacheDirFor', () => {
  const uuid = '28841C8277E044A7B187DDA03E18DA13';
  it('puts one cache per server and repo root under the root, host:port made a legal folder name', () => {
    expect(cacheDirFor('/r', { url: 'http://emdata.example.org:8000/' }, uuid)).toBe(join('/r', 'emdata.example.org_8000', uuid.toLowerCase()));
    expect(cacheDirFor('/r', { url: 'https://Host.Example' }, uuid)).toBe(join('/r', 'host.example', uuid.toLowerCase()));
    expect(cacheDirFor('/r', { url: 'http://127.0.0.1:1234', demo: true }, uuid)).toBe(join('/r', 'demo', uuid.toLowerCase()));
  });
  it('refuses what is not a full repo uuid or a URL', () => {
    expect(() => cacheDirFor('/r', { url: 'http://h:1' }, 'abc')).toThrow(/repo root UUID/);
    expect(() => cacheDirFor('/r', { url: 'http://h:1' }, '../../etc/passwd00000000000000000')).toThrow(/repo root UUID/);
    expect(() => cacheDirFor('/r', { url: 'not a url' }, uuid)).toThrow(/server URL/);
  });
});
