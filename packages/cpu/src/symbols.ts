/** A symbol of a program: a label with an address and a size. */
export interface SymbolInfo {
  readonly name: string;
  readonly address: number;
  /** Size in bytes (from `.func`/`.endfunc`, or the distance to the next symbol). */
  readonly size: number;
  /** The section it was defined in, when it comes from the assembler. */
  readonly section?: string;
}

/** Where an address falls: a symbol and the offset into it. */
export interface SymbolLocation {
  readonly symbol: SymbolInfo;
  readonly offset: number;
}

/**
 * How {@link SymbolTable.symbolize} looks an address up, as Linux's printk does:
 * - `'backtrace'` (`%pB`): looks up `address - 1`, so that a return address just past
 *   the end of a function that ends in a `call` is attributed to that function; the
 *   offset printed is still `address - start`. Use it for return addresses on a stack.
 * - `'exact'` (`%pS`): looks up `address` itself. Use it for a PC.
 */
export type SymbolizeMode = 'backtrace' | 'exact';

/** Symbols sorted by address, with name and address lookups. */
export interface SymbolTable {
  /** Every symbol, by address (then by name). */
  readonly symbols: readonly SymbolInfo[];
  /** The symbol named `name`. */
  get(name: string): SymbolInfo | undefined;
  /** The innermost symbol with `start <= address < start + size`. */
  lookup(address: number): SymbolLocation | undefined;
  /**
   * Formats `address` like Linux `%pB` (or `%pS`): `symbol+0xoff/0xsize`, e.g.
   * `do_wait+0x53/0x120`; an address no symbol covers prints as `0x%08x`.
   */
  symbolize(address: number, mode?: SymbolizeMode): string;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * Creates a symbol table. Tables of several images (a kernel and its user programs)
 * combine with `createSymbolTable([...a.symbols, ...b.symbols])`.
 *
 * @example
 * ```ts
 * const table = createSymbolTable([{ name: 'do_wait', address: 0xc0101000, size: 0x120 }]);
 * table.symbolize(0xc0101053); // 'do_wait+0x53/0x120'
 * ```
 */
export function createSymbolTable(symbols: Iterable<SymbolInfo>): SymbolTable {
  const sorted = [...symbols].sort((a, b) => a.address - b.address || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byName = new Map<string, SymbolInfo>();
  for (const s of sorted) byName.set(s.name, s);

  const lookup = (address: number): SymbolLocation | undefined => {
    const a = address >>> 0;
    // Greatest index with start <= a, then back to the innermost symbol covering a.
    let lo = 0;
    let hi = sorted.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as SymbolInfo).address <= a) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = found; i >= 0; i--) {
      const s = sorted[i] as SymbolInfo;
      if (a < s.address + s.size) return { symbol: s, offset: a - s.address };
    }
    return undefined;
  };

  return {
    symbols: sorted,
    get: (name) => byName.get(name),
    lookup,
    symbolize(address, mode = 'backtrace') {
      const a = address >>> 0;
      const hit = mode === 'backtrace' && a > 0 ? lookup(a - 1) : lookup(a);
      if (hit === undefined) return `0x${a.toString(16).padStart(8, '0')}`;
      return `${hit.symbol.name}+${hex(a - hit.symbol.address)}/${hex(hit.symbol.size)}`;
    },
  };
}
