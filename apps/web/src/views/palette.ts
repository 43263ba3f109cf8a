import type { SliceKind } from '../worker/timeline.ts';

/**
 * Okabe and Ito's colour-blind-safe palette. Colour is never the only cue: every slice has
 * a text label or a table row, and memory words say what they are.
 */
export const OKABE_ITO = {
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#999999',
} as const;

export const SLICE_COLOURS: Record<SliceKind, string> = {
  task: OKABE_ITO.blue,
  idle: '#D0D0D0',
  syscall: OKABE_ITO.orange,
  irq: OKABE_ITO.vermillion,
  exception: OKABE_ITO.purple,
  running: OKABE_ITO.green,
  runnable: OKABE_ITO.sky,
  sleeping: OKABE_ITO.yellow,
  disk: OKABE_ITO.purple,
  zombie: OKABE_ITO.grey,
};

/** Text colour readable on a slice colour. */
export const textOn = (kind: SliceKind): string =>
  kind === 'task' || kind === 'irq' || kind === 'exception' || kind === 'disk' ? '#fff' : '#000';
