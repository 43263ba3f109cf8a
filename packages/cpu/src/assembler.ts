import type { MemoryBus } from './bus.ts';
import { CpuError, type CpuErrorCode } from './errors.ts';
import {
  ALU_SAR,
  ALU_SHL,
  ALU_SHR,
  BY_MNEMONIC,
  encode,
  encodeList,
  encodeRel,
  encodeShort,
  JUMP_ALIASES,
  OP_ALU_RI,
  OP_ALU_RS,
  OP_WORK_I,
  type OpInfo,
  REG_SP,
  type Shape,
} from './internal/opcodes.ts';
import { at, type Expr, evaluate, type LineContext, lex, parseExpr, type Token } from './internal/parse.ts';
import { CONTROL_REGISTERS } from './isa.ts';
import { createSymbolTable, type SymbolInfo, type SymbolTable } from './symbols.ts';

/** A section of an assembled image: bytes to place at an address. */
export interface ImageSection {
  readonly name: string;
  readonly address: number;
  readonly bytes: Uint8Array;
}

/** The output of {@link assemble}. */
export interface Image {
  /** Sections by address. */
  readonly sections: readonly ImageSection[];
  /** Labels with their sizes (for `symbolize`). */
  readonly symbols: SymbolTable;
  /** `.equ` constants and the `defines` given to the assembler. */
  readonly constants: ReadonlyMap<string, number>;
  /** The value of a label or constant; throws a `CpuError` (`undefined-symbol`) when there is none. */
  address(name: string): number;
}

/** Options of {@link assemble}. */
export interface AssembleOptions {
  /** The name used in error messages (default `"<source>"`). */
  readonly source?: string;
  /** Constants defined before the first line (e.g. addresses of another image). */
  readonly defines?: Readonly<Record<string, number>>;
  /** Names usable as `ncall` operands: `Machine.nativeNumbers()`. */
  readonly natives?: Readonly<Record<string, number>>;
}

type Operand =
  | { readonly k: 'reg'; readonly n: number; readonly col: number }
  | { readonly k: 'ctl'; readonly n: number; readonly col: number }
  | { readonly k: 'mem'; readonly base: number | null; readonly off: Expr | null; readonly col: number }
  | { readonly k: 'list'; readonly mask: number; readonly col: number }
  | { readonly k: 'imm'; readonly e: Expr; readonly col: number };

interface Section {
  readonly name: string;
  readonly address: number;
  readonly line: number;
  size: number;
}

type Item =
  | {
      readonly k: 'insn';
      readonly ctx: LineContext;
      readonly info: OpInfo;
      readonly ops: readonly Operand[];
      readonly sec: Section;
      readonly off: number;
    }
  | {
      readonly k: 'data';
      readonly ctx: LineContext;
      readonly width: 1 | 4;
      readonly exprs: readonly Expr[];
      readonly sec: Section;
      readonly off: number;
    }
  | { readonly k: 'bytes'; readonly bytes: readonly number[]; readonly sec: Section; readonly off: number };

interface Label {
  readonly name: string;
  readonly sec: Section;
  readonly off: number;
  /** Size from .func/.endfunc. */
  funcSize?: number;
  /** End offset of the enclosing .func, if any. */
  enclosingEnd?: number;
}

const REGISTERS: ReadonlyMap<string, number> = new Map([...Array.from({ length: 16 }, (_, i) => [`r${i}`, i] as const), ['sp', REG_SP]]);
const CONTROLS: ReadonlyMap<string, number> = new Map(CONTROL_REGISTERS.map((n, i) => [n, i]));

const SHAPE_TEXT: Record<Shape, string> = {
  none: '',
  r: 'reg',
  rr: 'reg, reg',
  ri: 'reg, imm',
  rs: 'reg, imm',
  i: 'imm',
  rel: 'label',
  load: 'reg, [reg+off]',
  store: '[reg+off], reg',
  loadAbs: 'reg, [addr]',
  storeAbs: '[addr], reg',
  list: '{reglist}',
  rc: 'reg, ctlreg',
  cr: 'ctlreg, reg',
};

function fits(shape: Shape, ops: readonly Operand[]): boolean {
  const [a, b] = ops;
  const n = ops.length;
  switch (shape) {
    case 'none':
      return n === 0;
    case 'r':
      return n === 1 && a?.k === 'reg';
    case 'rr':
      return n === 2 && a?.k === 'reg' && b?.k === 'reg';
    case 'ri':
    case 'rs':
      return n === 2 && a?.k === 'reg' && b?.k === 'imm';
    case 'i':
    case 'rel':
      return n === 1 && a?.k === 'imm';
    case 'load':
      return n === 2 && a?.k === 'reg' && b?.k === 'mem' && b.base !== null;
    case 'store':
      return n === 2 && a?.k === 'mem' && a.base !== null && b?.k === 'reg';
    case 'loadAbs':
      return n === 2 && a?.k === 'reg' && b?.k === 'mem' && b.base === null;
    case 'storeAbs':
      return n === 2 && a?.k === 'mem' && a.base === null && b?.k === 'reg';
    case 'list':
      return n === 1 && a?.k === 'list';
    case 'rc':
      return n === 2 && a?.k === 'reg' && b?.k === 'ctl';
    case 'cr':
      return n === 2 && a?.k === 'ctl' && b?.k === 'reg';
  }
}

/** Splits tokens at top-level commas. */
function splitCommas(tokens: readonly Token[]): Token[][] {
  const groups: Token[][] = [[]];
  let depth = 0;
  for (const tok of tokens) {
    if (tok.t === 'p' && (tok.v === '[' || tok.v === '{' || tok.v === '(')) depth++;
    if (tok.t === 'p' && (tok.v === ']' || tok.v === '}' || tok.v === ')')) depth--;
    if (tok.t === 'p' && tok.v === ',' && depth === 0) groups.push([]);
    else (groups[groups.length - 1] as Token[]).push(tok);
  }
  return groups;
}

function parseOperand(ctx: LineContext, group: readonly Token[], endCol: number): Operand {
  const first = group[0];
  if (first === undefined) throw new CpuError('bad-operand', 'operand expected', { position: at(ctx, endCol) });
  const col = first.col;
  const last = group[group.length - 1] as Token;
  if (group.length === 1 && first.t === 'id') {
    const name = first.v.toLowerCase();
    const reg = REGISTERS.get(name);
    if (reg !== undefined) return { k: 'reg', n: reg, col };
    const ctl = CONTROLS.get(name);
    if (ctl !== undefined) return { k: 'ctl', n: ctl, col };
  }
  if (first.t === 'p' && first.v === '[') {
    if (last.t !== 'p' || last.v !== ']') throw new CpuError('bad-operand', 'memory operand must end with "]"', { position: at(ctx, col) });
    const inner = group.slice(1, -1);
    const head = inner[0];
    if (head === undefined) throw new CpuError('bad-operand', 'empty memory operand', { position: at(ctx, col) });
    const base = head.t === 'id' ? REGISTERS.get(head.v.toLowerCase()) : undefined;
    if (base === undefined) return { k: 'mem', base: null, off: parseExpr(ctx, inner, last.col), col };
    if (inner.length === 1) return { k: 'mem', base, off: null, col };
    const sign = inner[1] as Token;
    if (sign.t !== 'p' || (sign.v !== '+' && sign.v !== '-')) {
      throw new CpuError('bad-operand', `expected "+" or "-" after the base register, got "${String(sign.v)}"`, {
        position: at(ctx, sign.col),
      });
    }
    const e = parseExpr(ctx, inner.slice(2), last.col);
    return { k: 'mem', base, off: sign.v === '-' ? { k: 'un', op: '-', a: e, col: sign.col } : e, col };
  }
  if (first.t === 'p' && first.v === '{') {
    if (last.t !== 'p' || last.v !== '}') throw new CpuError('bad-operand', 'register list must end with "}"', { position: at(ctx, col) });
    let mask = 0;
    for (const item of splitCommas(group.slice(1, -1))) {
      const reg = (tok: Token | undefined): number => {
        const n = tok?.t === 'id' ? REGISTERS.get(tok.v.toLowerCase()) : undefined;
        if (n === undefined || n === REG_SP) {
          throw new CpuError('bad-operand', 'a register list holds r0-r15 and ranges like r4-r7', { position: at(ctx, tok?.col ?? col) });
        }
        return n;
      };
      const lo = reg(item[0]);
      let hi = lo;
      if (item.length === 3 && item[1]?.t === 'p' && item[1].v === '-') hi = reg(item[2]);
      else if (item.length !== 1) reg(undefined);
      if (hi < lo) throw new CpuError('bad-operand', `bad register range r${lo}-r${hi}`, { position: at(ctx, (item[0] as Token).col) });
      for (let r = lo; r <= hi; r++) mask |= 1 << r;
    }
    if (mask === 0) throw new CpuError('bad-operand', 'empty register list', { position: at(ctx, col) });
    return { k: 'list', mask, col };
  }
  return { k: 'imm', e: parseExpr(ctx, group, endCol), col };
}

function checkName(ctx: LineContext, name: string, col: number): void {
  const lower = name.toLowerCase();
  if (REGISTERS.has(lower) || CONTROLS.has(lower)) {
    throw new CpuError('reserved-name', `"${name}" is a register name and cannot be a symbol`, { position: at(ctx, col) });
  }
}

/**
 * Assembles `text` into an {@link Image}.
 *
 * Syntax, one statement per line: `label:` prefixes, an instruction or a directive,
 * comments after `;` or `//`. Directives: `.section name [addr]` (the address is
 * required the first time a section appears), `.equ NAME, expr`, `.word e, ...`,
 * `.byte e, ...`, `.space n [, fill]`, `.ascii "s"`, `.asciz "s"`, `.align n`,
 * `.func name` ... `.endfunc` (a label whose size is the distance to `.endfunc`).
 * A label without `.func` has as size the distance to the next symbol of its
 * section (or to the end of its `.func`, or of the section); labels starting with
 * `.L` are local and not in the symbol table.
 *
 * @throws CpuError with `line` and `column` on the first error.
 *
 * @example
 * ```ts
 * const image = assemble(`
 *   .section .text 0xc0100000
 *   .func main
 *     mov r0, 2
 *     add r0, r0
 *     hlt
 *   .endfunc
 * `);
 * image.symbols.symbolize(0xc0100008, 'exact'); // 'main+0x8/0x14'
 * ```
 */
export function assemble(text: string, options: AssembleOptions = {}): Image {
  const source = options.source ?? '<source>';
  const sections = new Map<string, Section>();
  const labels = new Map<string, Label>();
  const constants = new Map<string, number>();
  const items: Item[] = [];
  let sec: Section | null = null;
  let openFunc: { label: Label; ctx: LineContext; col: number } | null = null;

  for (const [name, value] of Object.entries(options.defines ?? {})) constants.set(name, value);

  const symbolValue = (name: string): number | undefined => {
    const l = labels.get(name);
    if (l !== undefined) return l.sec.address + l.off;
    return constants.get(name);
  };
  const defined = (name: string): boolean => labels.has(name) || constants.has(name);
  const needSection = (ctx: LineContext, col: number): Section => {
    if (sec === null)
      throw new CpuError('bad-section', 'no section yet: start with ".section .text <address>"', { position: at(ctx, col) });
    return sec;
  };
  const defineLabel = (ctx: LineContext, name: string, col: number): Label => {
    checkName(ctx, name, col);
    if (defined(name)) throw new CpuError('duplicate-symbol', `"${name}" is already defined`, { position: at(ctx, col) });
    const s = needSection(ctx, col);
    const label: Label = { name, sec: s, off: s.size };
    labels.set(name, label);
    return label;
  };
  const constant = (ctx: LineContext, tokens: readonly Token[], endCol: number, what: string): number => {
    const e = parseExpr(ctx, tokens, endCol);
    return evaluate(ctx, e, (name) => {
      const v = symbolValue(name);
      if (v === undefined) {
        throw new CpuError('undefined-symbol', `${what} must be computable here: "${name}" is not defined before this line`, {
          position: at(ctx, e.col),
        });
      }
      return v;
    });
  };

  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln] as string;
    const ctx: LineContext = { source, line: ln + 1 };
    const tokens = lex(ctx, raw);
    const endCol = raw.replace(/\s+$/, '').length + 1;
    let i = 0;
    while (tokens[i]?.t === 'id' && tokens[i + 1]?.t === 'p' && (tokens[i + 1] as Token).v === ':') {
      const tok = tokens[i] as Token & { t: 'id' };
      const label = defineLabel(ctx, tok.v, tok.col);
      if (openFunc !== null) label.enclosingEnd = -1;
      i += 2;
    }
    const head = tokens[i];
    if (head === undefined) continue;
    if (head.t !== 'id') throw new CpuError('bad-operand', `unexpected "${String(head.v)}"`, { position: at(ctx, head.col) });
    const rest = tokens.slice(i + 1);
    const args = rest.length === 0 ? [] : splitCommas(rest);
    const badDirective = (reason: string, col = head.col, code: CpuErrorCode = 'bad-directive'): never => {
      throw new CpuError(code, reason, { position: at(ctx, col) });
    };

    if (head.v.startsWith('.')) {
      const dir = head.v.toLowerCase();
      switch (dir) {
        case '.section': {
          const nameTok = rest[0];
          if (nameTok?.t !== 'id') badDirective('.section needs a name, e.g. ".section .text 0xc0100000"');
          const name = (nameTok as Token & { t: 'id' }).v;
          let addrTokens = rest.slice(1);
          if (addrTokens[0]?.t === 'p' && addrTokens[0].v === ',') addrTokens = addrTokens.slice(1);
          const existing = sections.get(name);
          if (addrTokens.length === 0) {
            if (existing === undefined)
              badDirective(`section ${name} needs an address the first time it appears`, nameTok?.col, 'bad-section');
            sec = existing as Section;
          } else {
            const address = constant(ctx, addrTokens, endCol, 'a section address');
            if (existing !== undefined) {
              if (existing.address !== address)
                badDirective(`section ${name} was placed at 0x${existing.address.toString(16)} already`, nameTok?.col, 'bad-section');
              sec = existing;
            } else {
              if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
                badDirective(`section address ${address} is not a 32-bit address`, (addrTokens[0] as Token).col, 'immediate-out-of-range');
              }
              sec = { name, address, line: ctx.line, size: 0 };
              sections.set(name, sec);
            }
          }
          break;
        }
        case '.equ': {
          const nameTok = args[0]?.[0];
          if (args.length !== 2 || args[0]?.length !== 1 || nameTok?.t !== 'id') badDirective('.equ needs NAME, expression');
          const name = (nameTok as Token & { t: 'id' }).v;
          checkName(ctx, name, (nameTok as Token).col);
          if (defined(name)) badDirective(`"${name}" is already defined`, (nameTok as Token).col, 'duplicate-symbol');
          constants.set(name, constant(ctx, args[1] as Token[], endCol, 'an .equ value'));
          break;
        }
        case '.word':
        case '.byte': {
          const s = needSection(ctx, head.col);
          const width = dir === '.word' ? 4 : 1;
          if (rest.length === 0) badDirective(`${dir} needs at least one value`);
          const exprs = args.map((g) => parseExpr(ctx, g, endCol));
          items.push({ k: 'data', ctx, width, exprs, sec: s, off: s.size });
          s.size += width * exprs.length;
          break;
        }
        case '.ascii':
        case '.asciz': {
          const s = needSection(ctx, head.col);
          const str = rest[0];
          if (rest.length !== 1 || str?.t !== 'str') badDirective(`${dir} needs one string in double quotes`);
          const bytes = [...(str as Token & { t: 'str' }).v].map((ch) => ch.charCodeAt(0));
          if (bytes.some((b) => b > 255)) badDirective(`${dir}: only 8-bit characters`, str?.col);
          if (dir === '.asciz') bytes.push(0);
          items.push({ k: 'bytes', bytes, sec: s, off: s.size });
          s.size += bytes.length;
          break;
        }
        case '.space': {
          const s = needSection(ctx, head.col);
          if (args.length < 1 || args.length > 2 || rest.length === 0) badDirective('.space needs a size and an optional fill byte');
          const n = constant(ctx, args[0] as Token[], endCol, 'a .space size');
          const fill = args.length === 2 ? constant(ctx, args[1] as Token[], endCol, 'a .space fill') : 0;
          if (!Number.isInteger(n) || n < 0 || n > 0x10000000)
            badDirective(`.space size ${n} out of range`, rest[0]?.col, 'immediate-out-of-range');
          if (fill < -128 || fill > 255)
            badDirective(`.space fill ${fill} is not a byte`, (args[1] as Token[])[0]?.col, 'immediate-out-of-range');
          if (fill !== 0) items.push({ k: 'bytes', bytes: new Array<number>(n).fill(fill & 0xff), sec: s, off: s.size });
          s.size += n;
          break;
        }
        case '.align': {
          const s = needSection(ctx, head.col);
          const n = rest.length === 0 ? badDirective('.align needs a power of two') : constant(ctx, rest, endCol, 'an .align value');
          if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) badDirective(`.align ${n}: not a power of two`, rest[0]?.col);
          const pad = (n - ((s.address + s.size) % n)) % n;
          s.size += pad;
          break;
        }
        case '.func': {
          const nameTok = rest[0];
          if (rest.length !== 1 || nameTok?.t !== 'id') badDirective('.func needs a name');
          if (openFunc !== null) badDirective(`.func ${openFunc.label.name} is still open (missing .endfunc)`);
          const label = defineLabel(ctx, (nameTok as Token & { t: 'id' }).v, (nameTok as Token).col);
          openFunc = { label, ctx, col: head.col };
          break;
        }
        case '.endfunc': {
          if (rest.length !== 0) badDirective('.endfunc takes no operand', rest[0]?.col);
          if (openFunc === null) badDirective('.endfunc without .func');
          const f = openFunc as { label: Label };
          if (f.label.sec !== sec) badDirective(`.endfunc in another section than .func ${f.label.name}`);
          const end = (sec as Section).size;
          f.label.funcSize = end - f.label.off;
          for (const l of labels.values()) if (l.enclosingEnd === -1) l.enclosingEnd = end;
          openFunc = null;
          break;
        }
        default:
          badDirective(`unknown directive "${head.v}"`);
      }
      continue;
    }

    // An instruction.
    const mnemonic = JUMP_ALIASES[head.v.toLowerCase()] ?? head.v.toLowerCase();
    const forms = BY_MNEMONIC.get(mnemonic);
    if (forms === undefined) throw new CpuError('unknown-mnemonic', `unknown mnemonic "${head.v}"`, { position: at(ctx, head.col) });
    const ops =
      rest.length === 0 ? [] : args.map((g, n) => parseOperand(ctx, g, n + 1 < args.length ? (args[n + 1]?.[0]?.col ?? endCol) : endCol));
    const candidates = forms.filter((f) => fits(f.shape, ops));
    // `op rd, imm`: the one-word form when the immediate is a constant (numbers and
    // constants defined above) that fits in 19 bits, and always for shift counts.
    let form = candidates[0];
    if (form?.shape === 'rs' || form?.shape === 'ri') {
      const n = form.op - (form.shape === 'rs' ? OP_ALU_RS : OP_ALU_RI);
      const isShift = form.mnemonic !== 'mov' && (n === ALU_SHL || n === ALU_SHR || n === ALU_SAR);
      const e = (ops[1] as Operand & { k: 'imm' }).e;
      // Labels (and names defined later) are not known yet: note it instead of throwing,
      // as a program refers forward to its data many times.
      let unresolved = false;
      let known: number | undefined;
      try {
        known = evaluate(ctx, e, (name) => {
          const v = labels.has(name) ? undefined : constants.get(name);
          if (v === undefined) unresolved = true;
          return v ?? 0;
        });
      } catch {
        known = undefined;
      }
      if (unresolved) known = undefined;
      const short = isShift || (known !== undefined && known >= -0x40000 && known < 0x40000);
      form = candidates.find((f) => f.shape === (short ? 'rs' : 'ri'));
    }
    if (form === undefined) {
      const expected = [...new Set(forms.map((f) => `${mnemonic}${f.shape === 'none' ? '' : ` ${SHAPE_TEXT[f.shape]}`}`))].join(' | ');
      throw new CpuError('bad-operand', `bad operands for "${mnemonic}": expected ${expected}`, {
        position: at(ctx, ops[0]?.col ?? head.col),
      });
    }
    const s = needSection(ctx, head.col);
    if ((s.address + s.size) % 4 !== 0) {
      throw new CpuError(
        'unaligned-instruction',
        `instruction at unaligned address 0x${(s.address + s.size).toString(16)} (add ".align 4")`,
        {
          position: at(ctx, head.col),
        },
      );
    }
    items.push({ k: 'insn', ctx, info: form, ops, sec: s, off: s.size });
    s.size += form.size;
  }
  if (openFunc !== null) {
    const f = openFunc as { label: Label; ctx: LineContext; col: number };
    throw new CpuError('bad-directive', `.func ${f.label.name} has no .endfunc`, { position: at(f.ctx, f.col) });
  }

  // Sections must not overlap nor wrap.
  const placed = [...sections.values()].sort((a, b) => a.address - b.address);
  for (let n = 0; n < placed.length; n++) {
    const s = placed[n] as Section;
    const pos = { source, line: s.line, column: 1 };
    if (s.address + s.size > 0x100000000)
      throw new CpuError('section-overlap', `section ${s.name} runs past the end of the address space`, { position: pos });
    const next = placed[n + 1];
    if (next !== undefined && s.address + s.size > next.address) {
      const later = next.line > s.line ? next : s;
      const other = later === next ? s : next;
      throw new CpuError('section-overlap', `section ${later.name} overlaps section ${other.name}`, {
        position: { source, line: later.line, column: 1 },
      });
    }
  }

  // Pass 2: encode.
  const buffers = new Map<Section, Uint8Array>();
  for (const s of sections.values()) buffers.set(s, new Uint8Array(s.size));
  const natives = options.natives ?? {};
  for (const item of items) {
    const buf = buffers.get(item.sec) as Uint8Array;
    if (item.k === 'bytes') {
      buf.set(item.bytes, item.off);
      continue;
    }
    const { ctx } = item;
    const value = (e: Expr, lo: number, hi: number, what: string, extra?: Readonly<Record<string, number>>): number => {
      const v = evaluate(ctx, e, (name) => extra?.[name] ?? symbolValue(name));
      if (!Number.isInteger(v) || v < lo || v > hi) {
        throw new CpuError('immediate-out-of-range', `${what} ${v} out of range ${lo}..${hi}`, { position: at(ctx, e.col) });
      }
      return v;
    };
    const put32 = (off: number, w: number): void => {
      buf[off] = w & 0xff;
      buf[off + 1] = (w >>> 8) & 0xff;
      buf[off + 2] = (w >>> 16) & 0xff;
      buf[off + 3] = (w >>> 24) & 0xff;
    };
    if (item.k === 'data') {
      item.exprs.forEach((e, n) => {
        if (item.width === 4) put32(item.off + 4 * n, value(e, -0x80000000, 0xffffffff, '.word value') >>> 0);
        else buf[item.off + n] = value(e, -128, 255, '.byte value') & 0xff;
      });
      continue;
    }
    const { info, ops } = item;
    const [a, b] = ops;
    const op = info.op;
    let w0 = 0;
    let w1 = 0;
    const reg = (o: Operand | undefined): number => (o as { n: number }).n;
    const imm32 = (o: Operand | undefined, what: string): number => value((o as { e: Expr }).e, -0x80000000, 0xffffffff, what) >>> 0;
    switch (info.shape) {
      case 'none':
        w0 = encode(op);
        break;
      case 'r':
        w0 = encode(op, reg(a));
        break;
      case 'rr':
        w0 = encode(op, reg(a), reg(b));
        break;
      case 'ri':
        w0 = encode(op, reg(a));
        w1 = imm32(b, 'immediate');
        break;
      case 'rs': {
        const n = op - OP_ALU_RS;
        const isShift = info.mnemonic !== 'mov' && (n === ALU_SHL || n === ALU_SHR || n === ALU_SAR);
        const e = (b as { e: Expr }).e;
        w0 = encodeShort(op, reg(a), isShift ? value(e, 0, 31, 'shift count') : value(e, -0x40000, 0x3ffff, 'immediate'));
        break;
      }
      case 'i': {
        w0 = encode(op);
        const e = (a as { e: Expr }).e;
        if (op === OP_WORK_I) w1 = value(e, 1, 0xffffffff, 'work cycles');
        else if (info.mnemonic === 'ncall') w1 = value(e, 0, 0xffffffff, 'native number', natives);
        else w1 = imm32(a, 'immediate');
        break;
      }
      case 'rel': {
        const e = (a as { e: Expr }).e;
        const target = value(e, 0, 0xffffffff, 'target address');
        const here = item.sec.address + item.off;
        if (target % 4 !== 0)
          throw new CpuError('bad-operand', `${info.mnemonic} target 0x${target.toString(16)} is not word-aligned`, {
            position: at(ctx, e.col),
          });
        const disp = (target - here) / 4;
        if (disp < -0x800000 || disp > 0x7fffff) {
          throw new CpuError(
            'immediate-out-of-range',
            `${info.mnemonic} target 0x${target.toString(16)} is more than 32 MiB away (use "call rN" / "jmp rN")`,
            {
              position: at(ctx, e.col),
            },
          );
        }
        w0 = encodeRel(op, disp);
        break;
      }
      case 'load':
      case 'store': {
        const mem = (info.shape === 'load' ? b : a) as Operand & { k: 'mem' };
        const r = reg(info.shape === 'load' ? a : b);
        const off = mem.off === null ? 0 : value(mem.off, -8192, 8191, 'offset');
        w0 = encode(op, r, mem.base as number, off);
        break;
      }
      case 'loadAbs':
      case 'storeAbs': {
        const mem = (info.shape === 'loadAbs' ? b : a) as Operand & { k: 'mem' };
        w0 = encode(op, reg(info.shape === 'loadAbs' ? a : b));
        w1 = value(mem.off as Expr, 0, 0xffffffff, 'address');
        break;
      }
      case 'list':
        w0 = encodeList(op, (a as { mask: number }).mask);
        break;
      case 'rc':
        w0 = encode(op, reg(a), reg(b));
        break;
      case 'cr':
        if (reg(a) === CONTROLS.get('cpuid'))
          throw new CpuError('bad-operand', 'cpuid is read-only', { position: at(ctx, (a as Operand).col) });
        w0 = encode(op, reg(a), reg(b));
        break;
    }
    put32(item.off, w0);
    if (info.size === 8) put32(item.off + 4, w1 >>> 0);
  }

  // Symbols: sizes from .func, else distance to the next symbol of the section.
  const global = [...labels.values()].filter((l) => !l.name.startsWith('.L'));
  const symbols: SymbolInfo[] = global.map((l) => {
    let size = l.funcSize;
    if (size === undefined) {
      let end = l.enclosingEnd !== undefined && l.enclosingEnd >= 0 ? l.enclosingEnd : l.sec.size;
      for (const o of global) if (o.sec === l.sec && o.off > l.off && o.off < end) end = o.off;
      size = end - l.off;
    }
    return { name: l.name, address: l.sec.address + l.off, size, section: l.sec.name };
  });
  const table = createSymbolTable(symbols);
  const allConstants = new Map(constants);
  return {
    sections: placed.map((s) => ({ name: s.name, address: s.address, bytes: buffers.get(s) as Uint8Array })),
    symbols: table,
    constants: allConstants,
    address(name) {
      const v = symbolValue(name);
      if (v === undefined) throw new CpuError('undefined-symbol', `the image has no symbol "${name}"`);
      return v;
    },
  };
}

/**
 * Writes every section of `image` into memory through `bus` (kernel accesses).
 *
 * @example
 * ```ts
 * const bus = createFlatBus(1 << 20);
 * loadImage(bus, assemble('.section .text 0x1000\n hlt'));
 * ```
 */
export function loadImage(bus: MemoryBus, image: Image): void {
  for (const s of image.sections) {
    for (let i = 0; i < s.bytes.length; i++) bus.write8((s.address + i) >>> 0, s.bytes[i] as number, false);
  }
}
