import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCacheRoot } from '../../../main/paths';

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
