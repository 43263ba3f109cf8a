import { TraceError } from './errors.ts';

/** One word of a stack and what it is. */
export interface StackWord {
  readonly address: number;
  readonly value: number;
  /** What the word holds: `return address -> schedule+0x12`, `pt_regs.ip`, `saved ebp`, `STACK_END_MAGIC`, ... */
  readonly note?: string;
  /** A section starting at this word (its highest address), drawn as a separator above it: `frame: do_syscall_64`. */
  readonly section?: string;
}

/** A part of the picture: words of memory, or a guard page (unmapped, no words). */
export type StackRegion =
  | {
      readonly kind: 'words';
      /** Drawn on the region's top border: `pt_regs (trap frame)`, `thread_info`, `kernel stack of tid 7`. */
      readonly label?: string;
      /** Contiguous words, in any order. */
      readonly words: readonly StackWord[];
    }
  | {
      readonly kind: 'guard';
      /** The lowest address and one past the highest. */
      readonly low: number;
      readonly high: number;
      readonly label?: string;
    };

/** An arrow at an address: `SP`, `sp0`, `thread.sp`, `fault`. */
export interface StackMarker {
  /** A word's address, the top (one past the highest word) of a words region, or any address inside a guard region. */
  readonly address: number;
  readonly label: string;
}

/** What {@link drawKernelStack} draws. */
export interface KernelStackPicture {
  readonly title?: string;
  /** Bytes per word: 4 (the simulator's 32-bit machine, the default) or 8. */
  readonly wordSize?: 4 | 8;
  readonly regions: readonly StackRegion[];
  readonly markers?: readonly StackMarker[];
  /** Runs of at least this many zero words with no note, section or marker collapse into one line (default 4). */
  readonly collapseZeros?: number;
}

const SOURCE = 'drawKernelStack';

interface Extent {
  region: StackRegion;
  low: number;
  high: number;
  words: StackWord[];
}

/**
 * Draws a thread's kernel stack as memory, highest address at the top, one word per
 * line: address, value and what it is, with separators for regions and sections
 * (frames, the trap frame, thread_info), hatched guard pages, arrows for SP, sp0 and
 * other markers, and long runs of zero words collapsed into one line.
 *
 * @example
 * ```text
 * kernel stack of tid 7 (8 KiB)
 *               +------------+  pt_regs (trap frame)  <- sp0 (0xc0a04000)
 *   0xc0a03ffc  | 0x0000007b |  ss
 *   0xc0a03ff8  | 0xbffffe80 |  sp (user)
 *               +------------+  frame: sys_read
 *   0xc0a03fd0  | 0xc0100a40 |  return address  <- SP
 *               :    ....    :  1000 zero words (0xc0a02060-0xc0a03fcf)
 *   0xc0a02000  | 0x57ac6e9d |  STACK_END_MAGIC
 *               +------------+
 *               |////////////|  guard page (0xc0a01000-0xc0a01fff)
 *               +------------+
 * ```
 */
export function drawKernelStack(picture: KernelStackPicture): string {
  const ws = picture.wordSize ?? 4;
  const collapse = picture.collapseZeros ?? 4;
  const max = 2 ** (ws * 8);
  const hexw = ws * 2;
  const hex = (n: number): string => `0x${n.toString(16).padStart(hexw, '0')}`;
  const bad = (reason: string): TraceError => new TraceError('bad-input', reason, { source: SOURCE });
  if (ws !== 4 && ws !== 8) throw bad(`wordSize must be 4 or 8 (got ${ws})`);
  if (!Number.isInteger(collapse) || collapse < 2) throw bad(`collapseZeros must be an integer of at least 2 (got ${collapse})`);

  const extents: Extent[] = picture.regions.map((region, i) => {
    if (region.kind === 'guard') {
      if (
        !Number.isSafeInteger(region.low) ||
        !Number.isSafeInteger(region.high) ||
        region.low < 0 ||
        region.high > max ||
        region.low >= region.high
      ) {
        throw bad(`guard region ${i}: bad range ${region.low}-${region.high}`);
      }
      return { region, low: region.low, high: region.high, words: [] };
    }
    if (region.words.length === 0) throw bad(`region ${i} (${region.label ?? 'words'}) has no words`);
    const words = [...region.words].sort((a, b) => b.address - a.address);
    words.forEach((w, j) => {
      if (!Number.isSafeInteger(w.address) || w.address < 0 || w.address + ws > max || w.address % ws !== 0) {
        throw bad(`word at ${w.address}: not a ${ws}-byte aligned address`);
      }
      if (!Number.isSafeInteger(w.value) || w.value < 0 || w.value >= max)
        throw bad(`word at ${hex(w.address)}: value ${w.value} does not fit ${ws} bytes`);
      const next = words[j + 1];
      if (next !== undefined && next.address !== w.address - ws) {
        throw bad(`region ${i} (${region.label ?? 'words'}): words ${hex(next.address)} and ${hex(w.address)} are not contiguous`);
      }
    });
    const low = (words[words.length - 1] as StackWord).address;
    return { region, low, high: (words[0] as StackWord).address + ws, words };
  });
  extents.sort((a, b) => b.high - a.high);
  for (let i = 1; i < extents.length; i++) {
    const upper = extents[i - 1] as Extent;
    const lower = extents[i] as Extent;
    if (lower.high > upper.low) throw bad(`regions overlap at ${hex(upper.low)}-${hex(Math.min(upper.high, lower.high))}`);
  }

  // Where each marker goes: a word, a region's top border, or a guard region.
  const onWord = new Map<number, string[]>();
  const onTop = new Map<Extent, string[]>();
  const add = <K>(m: Map<K, string[]>, k: K, s: string): void => {
    const list = m.get(k);
    if (list === undefined) m.set(k, [s]);
    else list.push(s);
  };
  const wordAddresses = new Set(extents.flatMap((e) => e.words.map((w) => w.address)));
  for (const mk of picture.markers ?? []) {
    if (wordAddresses.has(mk.address)) add(onWord, mk.address, mk.label);
    else {
      const top = extents.find((e) => e.region.kind === 'words' && e.high === mk.address);
      const guard = extents.find((e) => e.region.kind === 'guard' && mk.address >= e.low && mk.address < e.high);
      if (top !== undefined) add(onTop, top, `${mk.label} (${hex(mk.address)})`);
      else if (guard !== undefined) add(onTop, guard, `${mk.label} (${hex(mk.address)})`);
      else throw bad(`marker ${mk.label} at ${hex(mk.address)} is not at a word, a region's top or inside a guard page`);
    }
  }

  const indent = ' '.repeat(hexw + 6);
  const border = `${indent}+${'-'.repeat(hexw + 4)}+`;
  const arrows = (labels: readonly string[] | undefined): string => (labels === undefined ? '' : labels.map((l) => `  <- ${l}`).join(''));
  const row = (left: string, cells: string, note: string): string => `${left}${cells}${note === '' ? '' : `  ${note}`}`.trimEnd();
  const lines: string[] = [];
  if (picture.title !== undefined) lines.push(picture.title);

  extents.forEach((e, i) => {
    const prev = extents[i - 1];
    if (prev !== undefined && prev.low !== e.high) {
      lines.push(border);
      lines.push(`${indent} ~ ${hex(e.high)}-${hex(prev.low - 1)} not shown ~`);
    }
    const label = e.region.label;
    if (e.region.kind === 'guard') {
      lines.push(border);
      const what = `${e.region.label ?? 'guard page'} (${hex(e.low)}-${hex(e.high - 1)})`;
      lines.push(row(indent, `|${'/'.repeat(hexw + 4)}|`, `${what}${arrows(onTop.get(e))}`));
      return;
    }
    lines.push(row(border, '', `${label ?? ''}${arrows(onTop.get(e))}`.trim()));
    const words = e.words;
    let j = 0;
    while (j < words.length) {
      const w = words[j] as StackWord;
      const plain = (x: StackWord): boolean => x.value === 0 && x.note === undefined && x.section === undefined && !onWord.has(x.address);
      if (plain(w)) {
        let k = j;
        while (k < words.length && plain(words[k] as StackWord)) k++;
        if (k - j >= collapse) {
          const lowest = (words[k - 1] as StackWord).address;
          const dots = '....'.padStart(Math.floor((hexw + 4 + 4) / 2)).padEnd(hexw + 4);
          lines.push(row(indent, `:${dots}:`, `${k - j} zero words (${hex(lowest)}-${hex(w.address + ws - 1)})`));
          j = k;
          continue;
        }
      }
      if (w.section !== undefined && j > 0) lines.push(row(border, '', w.section));
      else if (w.section !== undefined)
        lines[lines.length - 1] = row(border, '', [label, w.section].filter((x) => x !== undefined).join(' / ') + arrows(onTop.get(e)));
      lines.push(row(`  ${hex(w.address)}  `, `| ${hex(w.value)} |`, `${w.note ?? ''}${arrows(onWord.get(w.address))}`.trim()));
      j++;
    }
  });
  if (extents.length > 0) lines.push(border);
  return `${lines.join('\n')}\n`;
}
