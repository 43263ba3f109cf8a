import { CpuError, type SourcePosition } from '../errors.ts';

/** A token of one source line; `col` is 1-based. */
export type Token =
  | { readonly t: 'id'; readonly v: string; readonly col: number }
  | { readonly t: 'num'; readonly v: number; readonly col: number }
  | { readonly t: 'str'; readonly v: string; readonly col: number }
  | { readonly t: 'p'; readonly v: string; readonly col: number };

export type Expr =
  | { readonly k: 'num'; readonly v: number; readonly col: number }
  | { readonly k: 'sym'; readonly name: string; readonly col: number }
  | { readonly k: 'un'; readonly op: string; readonly a: Expr; readonly col: number }
  | { readonly k: 'bin'; readonly op: string; readonly a: Expr; readonly b: Expr; readonly col: number };

export interface LineContext {
  readonly source: string;
  readonly line: number;
}

export function at(ctx: LineContext, col: number): SourcePosition {
  return { source: ctx.source, line: ctx.line, column: col };
}

const ID_START = /[A-Za-z_.$]/;
const ID_PART = /[A-Za-z0-9_.$]/;
const PUNCT2 = new Set(['<<', '>>']);
const PUNCT1 = new Set([',', '[', ']', '{', '}', '+', '-', '*', '/', '%', '(', ')', '&', '|', '^', '~', ':']);

function readEscape(ctx: LineContext, text: string, i: number): { ch: number; next: number } {
  const c = text[i + 1];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, '"': 34, "'": 39 };
  if (c !== undefined && c in simple) return { ch: simple[c] as number, next: i + 2 };
  if (c === 'x') {
    const h = text.slice(i + 2, i + 4);
    if (/^[0-9a-fA-F]{2}$/.test(h)) return { ch: Number.parseInt(h, 16), next: i + 4 };
  }
  throw new CpuError('bad-expression', `bad escape sequence "\\${c ?? ''}"`, { position: at(ctx, i + 1) });
}

/** Splits one line into tokens, dropping the comment (`;` or `//` to the end of the line). */
export function lex(ctx: LineContext, text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const col = i + 1;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === ';' || (c === '/' && text[i + 1] === '/')) {
      break;
    } else if (ID_START.test(c)) {
      let j = i + 1;
      while (j < text.length && ID_PART.test(text[j] as string)) j++;
      out.push({ t: 'id', v: text.slice(i, j), col });
      i = j;
    } else if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z_]/.test(text[j] as string)) j++;
      const raw = text.slice(i, j).replaceAll('_', '');
      const v = /^0x[0-9a-f]+$/i.test(raw)
        ? Number.parseInt(raw.slice(2), 16)
        : /^0b[01]+$/i.test(raw)
          ? Number.parseInt(raw.slice(2), 2)
          : /^[0-9]+$/.test(raw)
            ? Number.parseInt(raw, 10)
            : Number.NaN;
      if (Number.isNaN(v)) throw new CpuError('bad-expression', `bad number "${text.slice(i, j)}"`, { position: at(ctx, col) });
      out.push({ t: 'num', v, col });
      i = j;
    } else if (c === "'") {
      let ch: number;
      let j: number;
      if (text[i + 1] === '\\') {
        const e = readEscape(ctx, text, i + 1);
        ch = e.ch;
        j = e.next;
      } else {
        ch = text.charCodeAt(i + 1);
        j = i + 2;
      }
      if (Number.isNaN(ch) || text[j] !== "'") throw new CpuError('bad-expression', 'bad character literal', { position: at(ctx, col) });
      out.push({ t: 'num', v: ch, col });
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        const d = text[j];
        if (d === undefined) throw new CpuError('bad-expression', 'unterminated string', { position: at(ctx, col) });
        if (d === '"') break;
        if (d === '\\') {
          const e = readEscape(ctx, text, j);
          s += String.fromCharCode(e.ch);
          j = e.next;
        } else {
          s += d;
          j++;
        }
      }
      out.push({ t: 'str', v: s, col });
      i = j + 1;
    } else if (PUNCT2.has(text.slice(i, i + 2))) {
      out.push({ t: 'p', v: text.slice(i, i + 2), col });
      i += 2;
    } else if (PUNCT1.has(c)) {
      out.push({ t: 'p', v: c, col });
      i++;
    } else {
      throw new CpuError('bad-operand', `unexpected character "${c}"`, { position: at(ctx, col) });
    }
  }
  return out;
}

const BINARY: readonly (readonly string[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

/** Parses the whole token list as one expression (C precedence). */
export function parseExpr(ctx: LineContext, tokens: readonly Token[], endCol: number): Expr {
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const fail = (what: string): never => {
    const tok = peek();
    throw new CpuError('bad-expression', what, { position: at(ctx, tok?.col ?? endCol) });
  };
  const primary = (): Expr => {
    const tok = peek();
    if (tok === undefined) return fail('expression expected');
    if (tok.t === 'num') {
      i++;
      return { k: 'num', v: tok.v, col: tok.col };
    }
    if (tok.t === 'id') {
      i++;
      return { k: 'sym', name: tok.v, col: tok.col };
    }
    if (tok.t === 'p' && (tok.v === '-' || tok.v === '~' || tok.v === '+')) {
      i++;
      return { k: 'un', op: tok.v, a: primary(), col: tok.col };
    }
    if (tok.t === 'p' && tok.v === '(') {
      i++;
      const e = level(0);
      const close = peek();
      if (close?.t !== 'p' || close.v !== ')') return fail('")" expected');
      i++;
      return e;
    }
    return fail(`unexpected "${String(tok.v)}" in expression`);
  };
  const level = (n: number): Expr => {
    if (n === BINARY.length) return primary();
    let left = level(n + 1);
    for (;;) {
      const tok = peek();
      if (tok?.t !== 'p' || !(BINARY[n] as readonly string[]).includes(tok.v)) return left;
      i++;
      left = { k: 'bin', op: tok.v, a: left, b: level(n + 1), col: tok.col };
    }
  };
  const e = level(0);
  if (i < tokens.length) fail(`unexpected "${String((tokens[i] as Token).v)}" after expression`);
  return e;
}

/** Evaluates an expression; `resolve` gives a symbol's value or undefined. Values are exact integers. */
export function evaluate(ctx: LineContext, e: Expr, resolve: (name: string) => number | undefined): number {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'sym': {
      const v = resolve(e.name);
      if (v === undefined) throw new CpuError('undefined-symbol', `undefined symbol "${e.name}"`, { position: at(ctx, e.col) });
      return v;
    }
    case 'un': {
      const a = evaluate(ctx, e.a, resolve);
      return e.op === '-' ? -a : e.op === '~' ? ~a : a;
    }
    case 'bin': {
      const a = evaluate(ctx, e.a, resolve);
      const b = evaluate(ctx, e.b, resolve);
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
        case '%':
          if (b === 0) throw new CpuError('bad-expression', 'division by zero in expression', { position: at(ctx, e.col) });
          return e.op === '/' ? Math.trunc(a / b) : a % b;
        case '<<':
          return a * 2 ** (b & 31);
        case '>>':
          return Math.floor(a / 2 ** (b & 31));
        case '&':
          return (a & b) >>> 0;
        case '|':
          return (a | b) >>> 0;
        default:
          return (a ^ b) >>> 0;
      }
    }
  }
}
