import { describe, expect, expectTypeOf, it } from 'vitest';
import { API_EVENTS, API_METHODS, type DvidDeskEvents, type DvidDeskMethods } from '../../../../preload/api';
import type { ExposedKeys } from '../../../../preload/index';
import { ArgumentError, argSchemas, isMethodName, validateArg } from '../../../../main/bridge/validate';

describe('the contract', () => {
  it('lists every method and event at runtime exactly as the types declare them', () => {
    expectTypeOf<(typeof API_METHODS)[number]>().toEqualTypeOf<keyof DvidDeskMethods>();
    expectTypeOf<(typeof API_EVENTS)[number]>().toEqualTypeOf<keyof DvidDeskEvents>();
    // preload exposes exactly the methods plus on(), nothing else.
    expectTypeOf<ExposedKeys>().toEqualTypeOf<keyof DvidDeskMethods | 'on'>();
    expect(Object.keys(argSchemas).toSorted()).toEqual([...API_METHODS].toSorted());
  });

  it('does not treat prototype keys as methods', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) expect(isMethodName(name)).toBe(false);
    expect(isMethodName('appInfo')).toBe(true);
  });
});

describe('validateArg', () => {
  it('accepts what the contract allows', () => {
    expect(validateArg('appInfo', undefined)).toBeUndefined();
    expect(validateArg('connectionStatus', undefined)).toBeUndefined();
    expect(validateArg('connectionStatus', { refresh: true })).toEqual({ refresh: true });
  });

  it('accepts and refuses sync arguments', () => {
    expect(validateArg('syncPlan', { node: 'abc123:master', instances: [{ name: "a'L(R)", scope: 'roi:EB;scales=0-1' }], maxBytes: 1024 })).toEqual({
      node: 'abc123:master',
      instances: [{ name: "a'L(R)", scope: 'roi:EB;scales=0-1' }],
      maxBytes: 1024,
    });
    expect(() => validateArg('syncPlan', { node: '../etc' })).toThrow(/syncPlan: node/);
    expect(() => validateArg('syncPlan', { node: 'abc', maxBytes: -1 })).toThrow(/maxBytes/);
    expect(() => validateArg('syncPlan', { node: 'abc', instances: [{ name: '' }] })).toThrow(/instances/);
    expect(validateArg('syncStart', { planId: 'plan-1' })).toEqual({ planId: 'plan-1' });
    expect(() => validateArg('syncPause', { jobId: '1' })).toThrow(/jobId/);
    expect(() => validateArg('syncCancel', { jobId: 1.5 })).toThrow(/jobId/);
    expect(validateArg('syncStatus', undefined)).toBeUndefined();
    expect(validateArg('syncStatus', { jobId: 3 })).toEqual({ jobId: 3 });
  });

  it('refuses wrong types, unknown keys and arguments to argument-less methods, naming the field', () => {
    expect(() => validateArg('connectionStatus', { refresh: 'yes' })).toThrow(/connectionStatus: refresh:/);
    expect(() => validateArg('connectionStatus', { refresh: true, extra: 1 })).toThrow(ArgumentError);
    expect(() => validateArg('connectionStatus', 'refresh')).toThrow(ArgumentError);
    expect(() => validateArg('appInfo', { any: 1 })).toThrow(/appInfo/);
  });
});
