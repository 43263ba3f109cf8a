import type { StraceArg } from './types.ts';

const QUOTE = 34; // "
const BACKSLASH = 92;
const COMMA = 44;
const SLASH = 47;
const STAR = 42;

/**
 * The [start, end) pairs, flattened, of each top-level piece of `text[start, end)` separated by `sep` (a char code),
 * skipping separators inside strings, brackets, braces, parentheses and C comments.
 * `sep` = -1 splits on runs of spaces instead (signal sets: `[HUP INT PIPE]`).
 */
function split(text: string, start: number, end: number, sep: number): number[] {
  const pieces: number[] = [];
  let depth = 0;
  let pieceStart = start;
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i++;
      while (i < end) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i += 2;
        else if (d === QUOTE) break;
        else i++;
      }
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 || close >= end ? end : close + 1;
    } else if (c === 91 || c === 123 || c === 40) {
      depth++; // [ { (
    } else if (c === 93 || c === 125 || c === 41) {
      depth--; // ] } )
    } else if (depth === 0 && (c === sep || (sep === -1 && c === 32))) {
      pieces.push(pieceStart, i);
      if (sep === -1) while (text.charCodeAt(i + 1) === 32) i++;
      pieceStart = i + 1;
    }
    i++;
  }
  pieces.push(pieceStart, end);
  return pieces;
}

/** Decodes a C string body as strace prints it (`\n`, `\t`, `\"`, `\\`, octal `\177`, hex `\xb7`). */
export function decodeCString(body: string): string {
  let bs = body.indexOf('\\');
  if (bs === -1) return body;
  let out = '';
  let from = 0;
  const n = body.length;
  while (bs !== -1) {
    out += body.slice(from, bs);
    let i = bs + 1;
    const e = body.charCodeAt(i);
    if (e >= 48 && e <= 55) {
      // Octal: at most three digits (strace writes three when a digit follows).
      let v = e - 48;
      i++;
      for (let k = 0; k < 2 && i < n; k++) {
        const d = body.charCodeAt(i);
        if (d < 48 || d > 55) break;
        v = v * 8 + d - 48;
        i++;
      }
      out += String.fromCharCode(v & 0xff);
    } else if (e === 120) {
      // \xHH
      let v = 0;
      let k = 0;
      i++;
      for (; k < 2 && i < n; k++, i++) {
        const d = body.charCodeAt(i);
        const h = d >= 48 && d <= 57 ? d - 48 : d >= 97 && d <= 102 ? d - 87 : d >= 65 && d <= 70 ? d - 55 : -1;
        if (h === -1) break;
        v = v * 16 + h;
      }
      out += k === 0 ? 'x' : String.fromCharCode(v);
    } else {
      i++;
      out +=
        e === 110 ? '\n' : e === 116 ? '\t' : e === 114 ? '\r' : e === 118 ? '\v' : e === 102 ? '\f' : Number.isNaN(e) ? '' : body[bs + 1];
    }
    from = i;
    bs = body.indexOf('\\', i);
  }
  return out + body.slice(from);
}

function isIdent(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** The number in `text[start, end)` if it is one (`12`, `-1`, `0x7f`, octal `0644`), else undefined. */
function number(text: string, start: number, end: number): number | undefined {
  let i = start;
  const neg = text.charCodeAt(i) === 45;
  if (neg) i++;
  if (i >= end) return undefined;
  let v: number;
  if (text.charCodeAt(i) === 48 && text.charCodeAt(i + 1) === 120 && i + 2 < end) {
    for (let j = i + 2; j < end; j++) if (!isHex(text.charCodeAt(j))) return undefined;
    v = Number.parseInt(text.slice(i + 2, end), 16);
  } else {
    let octal = text.charCodeAt(i) === 48 && end - i > 1;
    for (let j = i; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c < 48 || c > 57) return undefined;
      if (c > 55) octal = false;
    }
    v = octal ? Number.parseInt(text.slice(i, end), 8) : Number(text.slice(i, end));
  }
  return neg ? -v : v;
}

/** Parses each piece of a {@link split}. */
function values(text: string, pieces: readonly number[]): StraceArg[] {
  const out: StraceArg[] = new Array(pieces.length / 2);
  for (let i = 0; i < pieces.length; i += 2) out[i / 2] = value(text, pieces[i] as number, pieces[i + 1] as number);
  return out;
}

/** Parses one argument's text (`text[start, end)`, trimmed). */
function value(text: string, start: number, end: number): StraceArg {
  while (start < end && text.charCodeAt(start) === 32) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  const first = text.charCodeAt(start);
  const last = text.charCodeAt(end - 1);
  // A trailing comment: `0x7ffcace975e0 /* 3 vars */`.
  if (last === SLASH && end - start >= 4 && text.charCodeAt(end - 2) === STAR) {
    const open = text.lastIndexOf('/*', end - 3);
    if (open >= start) {
      const comment = text.slice(open + 2, end - 2).trim();
      const inner = open > start ? value(text, start, open) : ({ kind: 'raw', text: '' } as const);
      return { ...inner, comment };
    }
  }
  if (first === QUOTE) {
    let i = start + 1;
    while (i < end) {
      const d = text.charCodeAt(i);
      if (d === BACKSLASH) i += 2;
      else if (d === QUOTE) break;
      else i++;
    }
    if (i < end && (i === end - 1 || (i === end - 4 && text.startsWith('...', i + 1)))) {
      return { kind: 'string', value: decodeCString(text.slice(start + 1, i)), truncated: i !== end - 1 };
    }
    return { kind: 'raw', text: text.slice(start, end) };
  }
  if (first === 91 || first === 123 || first === 126) {
    const arrow = findArrow(text, start, end);
    if (arrow !== -1) return { kind: 'changed', before: value(text, start, arrow), after: value(text, arrow + 4, end) };
    if ((first === 91 || (first === 126 && text.charCodeAt(start + 1) === 91)) && last === 93) {
      const negated = first === 126;
      let a = start + (negated ? 2 : 1);
      let b = end - 1;
      while (a < b && text.charCodeAt(a) === 32) a++;
      while (b > a && text.charCodeAt(b - 1) === 32) b--;
      if (a === b) return { kind: 'array', items: [], negated };
      const byComma = split(text, a, b, COMMA);
      return { kind: 'array', items: values(text, byComma.length > 2 ? byComma : split(text, a, b, -1)), negated };
    }
    if (first === 123 && last === 125) {
      let a = start + 1;
      let b = end - 1;
      while (a < b && text.charCodeAt(a) === 32) a++;
      while (b > a && text.charCodeAt(b - 1) === 32) b--;
      if (a === b) return { kind: 'struct', items: [] };
      return { kind: 'struct', items: values(text, split(text, a, b, COMMA)) };
    }
    return { kind: 'raw', text: text.slice(start, end) };
  }
  if ((first >= 48 && first <= 57) || first === 45) {
    const n = number(text, start, end);
    if (n !== undefined) return { kind: 'number', value: n, text: text.slice(start, end) };
  }
  if (first === 46 && end - start === 3 && text.startsWith('...', start)) return { kind: 'ellipsis' };
  if (isIdent(first)) {
    // FLAGS: ident(|ident)*, or NAMED: ident(.ident)*=value
    let i = start;
    let flags = true;
    let dotted = false;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (isIdent(c)) i++;
      else if (c === 124 && flags && i + 1 < end && isIdent(text.charCodeAt(i + 1))) {
        i++;
        dotted = true; // a "|" was seen: cannot be a name
      } else if (c === 46 && !dotted) {
        flags = false;
        i++;
      } else break;
    }
    if (i === end && flags) return { kind: 'flags', names: text.slice(start, end).split('|') };
    const c = text.charCodeAt(i);
    if (c === 61 && !dotted && text.charCodeAt(i + 1) !== 61 && !(first >= 48 && first <= 57)) {
      return { kind: 'named', name: text.slice(start, i), value: value(text, i + 1, end) };
    }
  }
  return { kind: 'raw', text: text.slice(start, end) };
}

/** The index of a top-level ` => ` in `text[start, end)`, or -1. */
function findArrow(text: string, start: number, end: number): number {
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i++;
      while (i < end && text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
    } else if (c === 91 || c === 123 || c === 40) depth++;
    else if (c === 93 || c === 125 || c === 41) depth--;
    else if (depth === 0 && c === 32 && text.startsWith(' => ', i)) return i;
  }
  return -1;
}

/**
 * Parses the text of a system call's arguments, as strace prints them between the
 * parentheses, into a best-effort list. Never fails: what it does not recognise is kept
 * as `raw` text.
 *
 * @example
 * ```ts
 * parseStraceArgs('AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC');
 * // [{ kind: 'flags', names: ['AT_FDCWD'] },
 * //  { kind: 'string', value: '/etc/ld.so.cache', truncated: false },
 * //  { kind: 'flags', names: ['O_RDONLY', 'O_CLOEXEC'] }]
 * ```
 */
export function parseStraceArgs(text: string): StraceArg[] {
  let a = 0;
  let b = text.length;
  while (a < b && text.charCodeAt(a) === 32) a++;
  while (b > a && text.charCodeAt(b - 1) === 32) b--;
  if (a === b) return [];
  return values(text, split(text, a, b, COMMA));
}
