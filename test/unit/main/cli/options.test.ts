import { describe, expect, it } from 'vitest';
import { resolveToken, UsageError } from '../../../../main/cli/options';

describe('resolveToken', () => {
  const secret = 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYW5uIn0.c2lnbmF0dXJl';

  it('takes --token first, then DVID_TOKEN, else none', () => {
    expect(resolveToken(secret, { DVID_TOKEN: 'other' })).toBe(secret);
    expect(resolveToken(undefined, { DVID_TOKEN: ` ${secret}\n` })).toBe(secret);
    expect(resolveToken(undefined, {})).toBeNull();
    expect(resolveToken(undefined, { DVID_TOKEN: '   ' })).toBeNull();
  });

  it('refuses unusable tokens without ever quoting them', () => {
    for (const [flag, env] of [
      ['', {}],
      [`${secret} x`, {}],
      [undefined, { DVID_TOKEN: `${secret}\u00e9` }],
    ] as const) {
      let err: unknown;
      try {
        resolveToken(flag, env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).not.toContain(secret.slice(0, 10));
    }
  });
});
