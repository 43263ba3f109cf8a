import { ALU_SAR, ALU_SHL, BY_OPCODE, OP_ALU_RS, OP_NCALL, OP_WORK_I, REG_SP, regName } from './internal/opcodes.ts';
import { CONTROL_REGISTERS } from './isa.ts';
import type { SymbolTable } from './symbols.ts';

/** One disassembled instruction. */
export interface Disassembly {
  /** Assembler text that assembles back to the same bytes, e.g. `ld r1, [r2+8]`; `(bad)` for an invalid encoding. */
  readonly text: string;
  /** Size in bytes: 4, or 8 with an extension word. */
  readonly size: 4 | 8;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function imm(v: number): string {
  const s = v | 0;
  return s > -4096 && s < 4096 ? String(s) : hex(v);
}

function list(mask: number): string {
  const parts: string[] = [];
  for (let r = 0; r < 16; r++) {
    if ((mask & (1 << r)) === 0) continue;
    let end = r;
    while (end < 15 && (mask & (1 << (end + 1))) !== 0) end++;
    parts.push(end === r ? `r${r}` : `r${r}-r${end}`);
    r = end;
  }
  return `{${parts.join(', ')}}`;
}

/** Options of {@link disassemble}. */
export interface DisassembleOptions {
  /** The extension word (the word after `word`) of 8-byte forms. */
  readonly ext?: number;
  /** The instruction's address: jump and call targets are relative to it. */
  readonly pc?: number;
  /** Names jump and call targets as `<symbol+0xoff>`. */
  readonly symbols?: SymbolTable;
}

/**
 * Disassembles the instruction whose first word is `word`.
 *
 * @example
 * ```ts
 * disassemble(0x00224140).text; // 'ld r1, [r2+8]'
 * disassemble(0xfffffc60, { pc: 0x1010 }).text; // 'jmp 0x1000'
 * ```
 */
export function disassemble(word: number, options: DisassembleOptions = {}): Disassembly {
  const ext = options.ext ?? 0;
  const pc = options.pc ?? 0;
  const w = word >>> 0;
  const info = BY_OPCODE[w & 0xff];
  const bad: Disassembly = { text: '(bad)', size: 4 };
  if (info === undefined) return bad;
  const a = (w >>> 8) & 31;
  const b = (w >>> 13) & 31;
  const off = w >> 18;
  const m = info.mnemonic;
  const okA = a <= REG_SP;
  const okB = b <= REG_SP;
  const mem = (base: number): string => `[${regName(base)}${off === 0 ? '' : off > 0 ? `+${off}` : `${off}`}]`;
  let text: string;
  switch (info.shape) {
    case 'none':
      text = m;
      break;
    case 'r':
      if (!okA) return bad;
      text = `${m} ${regName(a)}`;
      break;
    case 'rr':
      if (!okA || !okB) return bad;
      text = `${m} ${regName(a)}, ${regName(b)}`;
      break;
    case 'ri':
      if (!okA) return bad;
      text = `${m} ${regName(a)}, ${imm(ext)}`;
      break;
    case 'rs': {
      if (!okA) return bad;
      const n = info.op - OP_ALU_RS;
      const isShift = m !== 'mov' && n >= ALU_SHL && n <= ALU_SAR;
      if (isShift && w >>> 13 > 31) return bad;
      text = `${m} ${regName(a)}, ${imm(w >> 13)}`;
      break;
    }
    case 'i':
      text = `${m} ${info.op === OP_WORK_I || info.op === OP_NCALL ? String(ext >>> 0) : imm(ext)}`;
      break;
    case 'rel': {
      const target = (pc + (w >> 8) * 4) >>> 0;
      const at = options.symbols?.lookup(target);
      const note = at === undefined ? '' : ` <${at.symbol.name}${at.offset === 0 ? '' : `+${hex(at.offset)}`}>`;
      text = `${m} ${hex(target)}${note}`;
      break;
    }
    case 'load':
      if (!okA || !okB) return bad;
      text = `${m} ${regName(a)}, ${mem(b)}`;
      break;
    case 'store':
      if (!okA || !okB) return bad;
      text = `${m} ${mem(b)}, ${regName(a)}`;
      break;
    case 'loadAbs':
      if (!okA) return bad;
      text = `${m} ${regName(a)}, [${hex(ext)}]`;
      break;
    case 'storeAbs':
      if (!okA) return bad;
      text = `${m} [${hex(ext)}], ${regName(a)}`;
      break;
    case 'list':
      if (w >>> 16 === 0) return bad;
      text = `${m} ${list(w >>> 16)}`;
      break;
    case 'rc': {
      const c = CONTROL_REGISTERS[b];
      if (!okA || c === undefined) return bad;
      text = `${m} ${regName(a)}, ${c}`;
      break;
    }
    case 'cr': {
      const c = CONTROL_REGISTERS[a];
      if (!okB || c === undefined || c === 'cpuid') return bad;
      text = `${m} ${c}, ${regName(b)}`;
      break;
    }
  }
  return { text, size: info.size };
}
