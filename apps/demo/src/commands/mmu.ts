import { readFileSync } from 'node:fs';
import {
  type AddressSpace,
  createMmu,
  describeErrorCode,
  hex32,
  type Mmu,
  MmuError,
  PAGE_OFFSET,
  PAGE_SIZE,
  type PageSize,
  PGDIR_SIZE,
  type Protection,
  parseProtection,
  type Walk,
} from '@ossim/mmu';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';

/** One mapping of the JSON description. */
interface MappingSpec {
  readonly address: number;
  readonly length: number;
  readonly pageSize: PageSize;
  readonly permissions: string;
  readonly prot: Protection;
  readonly physical: number | null;
}

/** One address to translate. */
interface TranslateSpec {
  readonly address: number;
  readonly access: 'read' | 'write' | 'exec';
  readonly mode: 'user' | 'kernel';
}

interface Description {
  readonly memory: number;
  readonly mappings: MappingSpec[];
  readonly translate: TranslateSpec[];
}

const MiB = 1024 * 1024;
const TOP_FIELDS = ['memory', 'mappings', 'translate'];
const MAPPING_FIELDS = ['address', 'size', 'pages', 'pageSize', 'permissions', 'physical'];
const TRANSLATE_FIELDS = ['address', 'access', 'mode'];

/** `ossim mmu <file.json>`: builds an address space from a description and walks its page tables. */
export function registerMmu(program: Command, io: CliIo): void {
  program
    .command('mmu')
    .description('build an address space from a JSON description and show every step of translating addresses through its page tables')
    .argument('<file>', 'the description: { "memory"?, "mappings": [...], "translate"?: [...] } (see packages/mmu/README.md)')
    .option('--translate <addresses>', 'addresses to translate, comma-separated: ADDR[:read|write|exec[:user|kernel]]')
    .option('--json', 'print the result as JSON')
    .action((path: string, options: { translate?: string; json?: boolean }) => {
      const description = readDescription(path);
      const extra = options.translate === undefined ? [] : parseTranslateFlag(options.translate);
      runMmu(io, path, description, [...description.translate, ...extra], options.json === true);
    });
}

function runMmu(io: CliIo, path: string, description: Description, translate: TranslateSpec[], json: boolean): void {
  const mmu = createMmu({ memorySize: description.memory });
  const mm = mmu.createAddressSpace();
  const needed = description.mappings.reduce((n, m) => n + (m.physical === null && m.prot.write ? m.length / PAGE_SIZE : 0), 0);
  if (needed > mmu.buddy.nrFreePages) {
    throw new CliError(
      `${path}: mappings: the anonymous writable mappings need ${needed} page frames but only ${mmu.buddy.nrFreePages} are free`,
    );
  }
  description.mappings.forEach((m, i) => {
    try {
      mm.mmap({
        start: m.address,
        length: m.length,
        prot: m.prot,
        pageSize: m.pageSize,
        populate: true,
        ...(m.physical === null ? {} : { paddr: m.physical }),
      });
    } catch (error) {
      if (error instanceof MmuError) throw new CliError(`${path}: mappings[${i}]: ${error.message}`);
      throw error;
    }
  });
  const walks = translate.map((t) =>
    mmu.walk(mm.pgd, t.address, { write: t.access === 'write', user: t.mode === 'user', fetch: t.access === 'exec' }, { update: true }),
  );
  if (json) {
    io.out(
      `${JSON.stringify(
        {
          memory: description.memory,
          pgd: mm.pgd,
          swapperPgDir: mmu.swapperPgDir,
          mappings: mm
            .vmas()
            .map((v) => ({ ...v, permissions: description.mappings.find((m) => m.address === v.start)?.permissions ?? null })),
          translations: walks.map((w) => ({ ...w, errorCodeText: w.fault === null ? null : describeErrorCode(w.fault.errorCode) })),
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  printText(io, path, mmu, mm, description, walks);
}

function printText(io: CliIo, path: string, mmu: Mmu, mm: AddressSpace, description: Description, walks: Walk[]): void {
  const say = (line = ''): void => io.out(`${line}\n`);
  say(`${path}: ${description.memory / MiB} MiB of memory, ${description.mappings.length} mapping(s)`);
  say(`page directory (CR3) at ${hex32(mm.pgd)}; PDEs 768-1023 copied from swapper_pg_dir at ${hex32(mmu.swapperPgDir)}`);
  for (const m of description.mappings) {
    const backing = m.physical === null ? 'anonymous, populated' : `physical ${hex32(m.physical)}-${hex32(m.physical + m.length)}`;
    say(`  ${hex32(m.address)}-${hex32(m.address + m.length)}  ${m.pageSize === PGDIR_SIZE ? '4M' : '4k'}  ${m.permissions}  ${backing}`);
  }
  for (const w of walks) {
    say();
    const fetchNote = w.fetch ? '; checked as a read, 2-level paging has no NX bit' : '';
    say(`translate ${hex32(w.vaddr)} (${w.fetch ? 'exec' : w.write ? 'write' : 'read'}, ${w.user ? 'user' : 'kernel'}${fetchNote})`);
    say(`  PDE index ${w.pdeIndex} (${hex3(w.pdeIndex)}) at ${hex32(w.pdeAddress)} = ${hex32(w.pde)}  ${describeEntry(w.pde, true)}`);
    if (w.pte !== null && w.pteIndex !== null && w.pteAddress !== null) {
      const zeroPage = (w.pte & 1) !== 0 && w.pte - (w.pte % PAGE_SIZE) === mmu.layout.zeroPage ? ' (the shared zero page)' : '';
      say(
        `  PTE index ${w.pteIndex} (${hex3(w.pteIndex)}) at ${hex32(w.pteAddress)} = ${hex32(w.pte)}  ${describeEntry(w.pte, false)}${zeroPage}`,
      );
    }
    if (w.fault !== null) {
      say(`  page fault: error code ${hex(w.fault.errorCode)} (${describeErrorCode(w.fault.errorCode)})`);
      continue;
    }
    const paddr = w.paddr as number;
    say(`  physical address ${hex32(paddr)}${w.pageSize === PGDIR_SIZE ? ' (4 MiB page)' : ''}`);
    const changes: string[] = [];
    if (w.pdeAfter !== w.pde) changes.push(`PDE ${hex32(w.pde)} -> ${hex32(w.pdeAfter)}`);
    if (w.pte !== null && w.pteAfter !== null && w.pteAfter !== w.pte) changes.push(`PTE ${hex32(w.pte)} -> ${hex32(w.pteAfter)}`);
    if (changes.length > 0) say(`  the MMU sets accessed/dirty: ${changes.join(', ')}`);
  }
}

const BITS: [number, string][] = [
  [0x001, 'P'],
  [0x002, 'RW'],
  [0x004, 'US'],
  [0x008, 'PWT'],
  [0x010, 'PCD'],
  [0x020, 'A'],
  [0x040, 'D'],
  [0x080, 'PS'],
  [0x100, 'G'],
];

function describeEntry(entry: number, isPde: boolean): string {
  if ((entry & 1) === 0) return 'not present';
  const bits = BITS.filter(([bit]) => (entry & bit) !== 0).map(([, name]) => name);
  const base = hex32(entry & 0xfffff000);
  const target = isPde ? ((entry & 0x80) !== 0 ? `4 MiB page at ${hex32(entry & 0xffc00000)}` : `page table at ${base}`) : `frame ${base}`;
  return `[${bits.join(' ')}] -> ${target}`;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const hex3 = (n: number): string => `0x${n.toString(16).padStart(3, '0')}`;

function readDescription(path: string): Description {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const found = locateJsonError(text) ?? { offset: 0, reason: error instanceof Error ? error.message : String(error) };
    const before = text.slice(0, found.offset);
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    throw new CliError(`${path}:${line}:${column}: bad JSON: ${found.reason}`);
  }
  return parseDescription(path, data);
}

function parseDescription(path: string, data: unknown): Description {
  const fail = (field: string, reason: string): never => {
    throw new CliError(`${path}: ${field}: ${reason}`);
  };
  const top = objectOf(data, 'the description', TOP_FIELDS, fail);
  const memory = top.memory === undefined ? 64 * MiB : parseSize(top.memory, 'memory', fail);
  if (memory % (4 * MiB) !== 0 || memory < 4 * MiB || memory > 4096 * MiB)
    fail('memory', `${memory} bytes must be a multiple of 4 MiB from 4M to 4G`);
  if (!Array.isArray(top.mappings)) fail('mappings', 'must be an array of mappings');
  const mappings: MappingSpec[] = (top.mappings as unknown[]).map((raw, i) => {
    const where = `mappings[${i}]`;
    const m = objectOf(raw, where, MAPPING_FIELDS, fail);
    const pageSizeText = m.pageSize === undefined ? '4k' : m.pageSize;
    if (pageSizeText !== '4k' && pageSizeText !== '4K' && pageSizeText !== '4M')
      fail(`${where}.pageSize`, `${JSON.stringify(pageSizeText)} must be "4k" or "4M"`);
    const pageSize: PageSize = pageSizeText === '4M' ? PGDIR_SIZE : PAGE_SIZE;
    const sizeName = pageSize === PGDIR_SIZE ? '4 MiB' : '4 KiB';
    if (m.address === undefined) fail(`${where}.address`, 'is required');
    const address = parseNumber(m.address, `${where}.address`, fail);
    if (address % pageSize !== 0) fail(`${where}.address`, `${hex32(address)} is not aligned to the ${sizeName} page size`);
    if ((m.size === undefined) === (m.pages === undefined)) fail(where, 'give exactly one of "size" (bytes) or "pages"');
    let length: number;
    if (m.pages !== undefined) {
      const pages = parseNumber(m.pages, `${where}.pages`, fail);
      if (pages < 1) fail(`${where}.pages`, 'must be at least 1');
      length = pages * pageSize;
    } else {
      length = parseSize(m.size, `${where}.size`, fail);
      if (length <= 0 || length % pageSize !== 0)
        fail(`${where}.size`, `${length} bytes is not a positive multiple of the ${sizeName} page size`);
    }
    if (address + length > PAGE_OFFSET) {
      fail(
        `${where}.address`,
        `${hex32(address)}-${hex32(address + length)} reaches into the kernel half (user mappings end at PAGE_OFFSET ${hex32(PAGE_OFFSET)})`,
      );
    }
    if (typeof m.permissions !== 'string') fail(`${where}.permissions`, 'is required: 4 characters like "rw-u" or "r--k"');
    let prot: Protection = { read: false, write: false, exec: false, user: false };
    try {
      prot = parseProtection(m.permissions as string);
    } catch (error) {
      if (error instanceof MmuError) fail(`${where}.permissions`, error.message);
      throw error;
    }
    let physical: number | null = null;
    if (m.physical !== undefined) {
      physical = parseNumber(m.physical, `${where}.physical`, fail);
      if (physical % pageSize !== 0) fail(`${where}.physical`, `${hex32(physical)} is not aligned to the ${sizeName} page size`);
      if (physical + length > memory)
        fail(`${where}.physical`, `${hex32(physical)}-${hex32(physical + length)} is past the end of memory (${memory / MiB} MiB)`);
    }
    return { address, length, pageSize, permissions: m.permissions as string, prot, physical };
  });
  mappings.forEach((m, i) => {
    const j = mappings.findIndex((o) => o.address < m.address + m.length && m.address < o.address + o.length);
    if (j < i) {
      const o = mappings[j] as MappingSpec;
      fail(
        `mappings[${i}]`,
        `${hex32(m.address)}-${hex32(m.address + m.length)} overlaps mappings[${j}] (${hex32(o.address)}-${hex32(o.address + o.length)})`,
      );
    }
  });
  const rawTranslate = top.translate === undefined ? [] : top.translate;
  if (!Array.isArray(rawTranslate)) fail('translate', 'must be an array');
  const translate = (rawTranslate as unknown[]).map((raw, i) => {
    const where = `translate[${i}]`;
    const t = objectOf(raw, where, TRANSLATE_FIELDS, fail);
    if (t.address === undefined) fail(`${where}.address`, 'is required');
    const access = t.access ?? 'read';
    if (access !== 'read' && access !== 'write' && access !== 'exec')
      fail(`${where}.access`, `${JSON.stringify(access)} must be "read", "write" or "exec"`);
    const mode = t.mode ?? 'user';
    if (mode !== 'user' && mode !== 'kernel') fail(`${where}.mode`, `${JSON.stringify(mode)} must be "user" or "kernel"`);
    return { address: parseNumber(t.address, `${where}.address`, fail), access, mode } as TranslateSpec;
  });
  return { memory, mappings, translate };
}

function parseTranslateFlag(text: string): TranslateSpec[] {
  const fail = (field: string, reason: string): never => {
    throw new CliError(`--translate: ${field}: ${reason}`, 2);
  };
  return text.split(',').map((item) => {
    const [address = '', access = 'read', mode = 'user', ...rest] = item.trim().split(':');
    if (rest.length > 0) fail(item, 'expected ADDR[:read|write|exec[:user|kernel]]');
    if (access !== 'read' && access !== 'write' && access !== 'exec')
      fail(item, `access ${JSON.stringify(access)} must be read, write or exec`);
    if (mode !== 'user' && mode !== 'kernel') fail(item, `mode ${JSON.stringify(mode)} must be user or kernel`);
    return { address: parseNumber(address, item, fail), access, mode } as TranslateSpec;
  });
}

function objectOf(
  value: unknown,
  where: string,
  fields: string[],
  fail: (field: string, reason: string) => never,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'must be a JSON object');
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!fields.includes(key))
      fail(where === 'the description' ? key : `${where}.${key}`, `unknown field (expected one of: ${fields.join(', ')})`);
  }
  return record;
}

/** A 32-bit address or count: a JSON integer, or a string in hex (`0x...`) or decimal. */
function parseNumber(value: unknown, field: string, fail: (field: string, reason: string) => never): number {
  let n = Number.NaN;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(value.trim())) n = Number(value.trim());
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff)
    fail(field, `${JSON.stringify(value)} is not a 32-bit unsigned integer (use a number or a "0x..." string)`);
  return n;
}

/** A size: an integer of bytes, or a string with an optional k/M/G suffix (`"64M"`, `"0x2000"`, `"8k"`). */
function parseSize(value: unknown, field: string, fail: (field: string, reason: string) => never): number {
  if (typeof value === 'string') {
    const m = /^(\d+)([kKmMgG])$/.exec(value.trim());
    if (m !== null) {
      const unit = { k: 1024, m: MiB, g: 1024 * MiB }[(m[2] as string).toLowerCase() as 'k' | 'm' | 'g'];
      return Number(m[1]) * unit;
    }
  }
  return parseNumber(value, field, fail);
}

/**
 * Finds where and why `text` is not JSON (JSON.parse's messages carry no position on
 * every Node version). Returns null when the text parses.
 */
function locateJsonError(text: string): { offset: number; reason: string } | null {
  let i = 0;
  const stop = (reason: string): never => {
    throw { offset: i, reason };
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const string = (): void => {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) stop('unterminated string');
      if (c === '"') {
        i++;
        return;
      }
      if ((c as string).charCodeAt(0) < 0x20) stop('control character in a string');
      i += c === '\\' ? 2 : 1;
    }
  };
  const token = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    const m = pattern.exec(text);
    if (m === null) return false;
    i += m[0].length;
    return true;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') stop('expected a double-quoted property name');
        string();
        ws();
        if (text[i] !== ':') stop("expected ':' after the property name");
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else stop("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else stop("expected ',' or ']'");
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (token(/-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y) || token(/true|false|null/y)) return;
    stop(c === undefined ? 'unexpected end of input' : `unexpected ${JSON.stringify(c)}`);
  };
  try {
    value();
    ws();
    if (i < text.length) stop('unexpected text after the JSON value');
    return null;
  } catch (found) {
    return found as { offset: number; reason: string };
  }
}
