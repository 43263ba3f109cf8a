import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, formatUrlState, parseUrlState } from './url.ts';

describe('the URL state', () => {
  it('round-trips scenario, run, preset, cursor, thread and view', () => {
    const s = { scenario: 'irq-nesting', run: 2, os: 'x86_64', seq: 812, insns: 3, tid: 3, view: 'space' } as const;
    expect(formatUrlState(s)).toBe('?scenario=irq-nesting&run=2&os=x86_64&seq=812&insn=3&tid=3&view=space');
    expect(parseUrlState(formatUrlState(s))).toEqual(s);
  });

  it('keeps an edited variant as JSON', () => {
    const s = { ...DEFAULT_STATE, os: { preset: 'i386', threadSize: 4096, irqStacks: true } as const, seq: 40 };
    expect(parseUrlState(formatUrlState(s))).toEqual(s);
  });

  it('falls back to the defaults on nonsense', () => {
    expect(parseUrlState('?scenario=nope&run=-1&seq=abc&tid=x&view=zzz&os={bad')).toEqual(DEFAULT_STATE);
    expect(parseUrlState('')).toEqual(DEFAULT_STATE);
  });
});
