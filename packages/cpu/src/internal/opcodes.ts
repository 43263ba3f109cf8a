/**
 * The binary encoding. One 32-bit little-endian word per instruction, plus one
 * 32-bit extension word for forms that carry a full immediate (size 8):
 *
 * ```
 * bits  0-7   opcode
 * bits  8-12  A: register (0-15 = r0-r15, 16 = sp) or control register number
 * bits 13-17  B: register
 * bits 18-31  imm14: signed offset of [reg+off] addressing (-8192..8191)
 * bits 13-31  imm19: signed short immediate of `op rd, imm` (-262144..262143)
 * bits  8-31  disp24: signed word displacement of jumps and `call`: target = pc + 4 * disp24
 * bits 16-31  mask: register list of push {..} / pop {..} (bit i = ri)
 * ```
 */

export const OP_UD = 0x00;
export const OP_NOP = 0x01;
export const OP_HLT = 0x02;
export const OP_CLI = 0x03;
export const OP_STI = 0x04;
export const OP_RET = 0x05;
export const OP_IRET = 0x06;
export const OP_SYSCALL = 0x07;
export const OP_WORK_I = 0x08;
export const OP_WORK_R = 0x09;
export const OP_NCALL = 0x0a;
export const OP_INVLPG = 0x0b;
export const OP_MOV_RR = 0x10;
export const OP_MOV_RI = 0x11;
export const OP_MOV_RC = 0x12;
export const OP_MOV_CR = 0x13;
export const OP_MOV_RS = 0x15;
/** ALU forms, n = ALU_OPS index: register 0x20 + n, 32-bit immediate 0x30 + n, short immediate 0x70 + n. */
export const OP_ALU_RR = 0x20;
export const OP_ALU_RI = 0x30;
export const OP_ALU_RS = 0x70;
export const ALU_OPS = ['add', 'sub', 'and', 'or', 'xor', 'shl', 'shr', 'sar', 'cmp', 'test', 'mul', 'div', 'rem'] as const;
export const ALU_ADD = 0;
export const ALU_SUB = 1;
export const ALU_AND = 2;
export const ALU_OR = 3;
export const ALU_XOR = 4;
export const ALU_SHL = 5;
export const ALU_SHR = 6;
export const ALU_SAR = 7;
export const ALU_CMP = 8;
export const ALU_TEST = 9;
export const ALU_MUL = 10;
export const ALU_DIV = 11;
export const ALU_REM = 12;
export const OP_LD = 0x40;
export const OP_LDB = 0x41;
export const OP_ST = 0x42;
export const OP_STB = 0x43;
export const OP_LD_A = 0x44;
export const OP_LDB_A = 0x45;
export const OP_ST_A = 0x46;
export const OP_STB_A = 0x47;
export const OP_PUSH_R = 0x50;
export const OP_POP_R = 0x51;
export const OP_PUSH_I = 0x52;
export const OP_PUSH_L = 0x53;
export const OP_POP_L = 0x54;
export const OP_CALL_I = 0x58;
export const OP_CALL_R = 0x59;
export const OP_JMP_R = 0x5a;
/** Jumps (pc-relative): 0x60 + n, n = index in JUMPS. */
export const OP_JMP = 0x60;
export const JUMPS = ['jmp', 'jz', 'jnz', 'jl', 'jge', 'jg', 'jle', 'jb', 'jae', 'ja', 'jbe', 'js', 'jns', 'jo', 'jno'] as const;
export const JUMP_ALIASES: Readonly<Record<string, string>> = { je: 'jz', jne: 'jnz', jc: 'jb', jnc: 'jae' };
export const OP_JLAST = OP_JMP + JUMPS.length - 1;

/** Register numbers in the A and B fields. */
export const REG_SP = 16;

/**
 * Operand shapes:
 * - none, r (A), rr (A, B), ri (A, ext), rs (A, imm19), i (ext), rel (disp24)
 * - load (A, [B+imm14]), store ([B+imm14], A), loadAbs (A, [ext]), storeAbs ([ext], A)
 * - list ({mask}), rc (A = reg, B = control), cr (A = control, B = reg)
 */
export type Shape = 'none' | 'r' | 'rr' | 'ri' | 'rs' | 'i' | 'rel' | 'load' | 'store' | 'loadAbs' | 'storeAbs' | 'list' | 'rc' | 'cr';

export interface OpInfo {
  readonly op: number;
  readonly mnemonic: string;
  readonly shape: Shape;
  readonly size: 4 | 8;
  readonly privileged: boolean;
}

const SIZE8: ReadonlySet<Shape> = new Set<Shape>(['ri', 'i', 'loadAbs', 'storeAbs']);

function info(op: number, mnemonic: string, shape: Shape, privileged = false): OpInfo {
  return { op, mnemonic, shape, size: SIZE8.has(shape) ? 8 : 4, privileged };
}

/** Every defined opcode. */
export const OPCODES: readonly OpInfo[] = [
  info(OP_UD, 'ud', 'none'),
  info(OP_NOP, 'nop', 'none'),
  info(OP_HLT, 'hlt', 'none', true),
  info(OP_CLI, 'cli', 'none', true),
  info(OP_STI, 'sti', 'none', true),
  info(OP_RET, 'ret', 'none'),
  info(OP_IRET, 'iret', 'none', true),
  info(OP_SYSCALL, 'syscall', 'none'),
  info(OP_WORK_I, 'work', 'i'),
  info(OP_WORK_R, 'work', 'r'),
  info(OP_NCALL, 'ncall', 'i', true),
  info(OP_INVLPG, 'invlpg', 'r', true),
  info(OP_MOV_RR, 'mov', 'rr'),
  info(OP_MOV_RS, 'mov', 'rs'),
  info(OP_MOV_RI, 'mov', 'ri'),
  info(OP_MOV_RC, 'mov', 'rc', true),
  info(OP_MOV_CR, 'mov', 'cr', true),
  // Shift counts always fit the short form: shifts have no 32-bit immediate form.
  ...ALU_OPS.flatMap((m, n) => [
    info(OP_ALU_RR + n, m, 'rr'),
    info(OP_ALU_RS + n, m, 'rs'),
    ...(n === ALU_SHL || n === ALU_SHR || n === ALU_SAR ? [] : [info(OP_ALU_RI + n, m, 'ri')]),
  ]),
  info(OP_LD, 'ld', 'load'),
  info(OP_LDB, 'ldb', 'load'),
  info(OP_ST, 'st', 'store'),
  info(OP_STB, 'stb', 'store'),
  info(OP_LD_A, 'ld', 'loadAbs'),
  info(OP_LDB_A, 'ldb', 'loadAbs'),
  info(OP_ST_A, 'st', 'storeAbs'),
  info(OP_STB_A, 'stb', 'storeAbs'),
  info(OP_PUSH_R, 'push', 'r'),
  info(OP_POP_R, 'pop', 'r'),
  info(OP_PUSH_I, 'push', 'i'),
  info(OP_PUSH_L, 'push', 'list'),
  info(OP_POP_L, 'pop', 'list'),
  info(OP_CALL_I, 'call', 'rel'),
  info(OP_CALL_R, 'call', 'r'),
  info(OP_JMP_R, 'jmp', 'r'),
  ...JUMPS.map((m, n) => info(OP_JMP + n, m, 'rel')),
];

/** opcode -> info (undefined = invalid opcode). */
export const BY_OPCODE: readonly (OpInfo | undefined)[] = (() => {
  const table: (OpInfo | undefined)[] = new Array(256).fill(undefined);
  for (const i of OPCODES) table[i.op] = i;
  return table;
})();

/** mnemonic -> its forms. */
export const BY_MNEMONIC: ReadonlyMap<string, readonly OpInfo[]> = (() => {
  const map = new Map<string, OpInfo[]>();
  for (const i of OPCODES) {
    const list = map.get(i.mnemonic) ?? [];
    list.push(i);
    map.set(i.mnemonic, list);
  }
  return map;
})();

export function encode(op: number, a = 0, b = 0, imm14 = 0): number {
  return (op | (a << 8) | (b << 13) | ((imm14 & 0x3fff) << 18)) >>> 0;
}

export function encodeShort(op: number, a: number, imm19: number): number {
  return (op | (a << 8) | ((imm19 & 0x7ffff) << 13)) >>> 0;
}

export function encodeRel(op: number, disp24: number): number {
  return (op | ((disp24 & 0xffffff) << 8)) >>> 0;
}

export function encodeList(op: number, mask: number): number {
  return (op | ((mask & 0xffff) << 16)) >>> 0;
}

export function regName(n: number): string {
  return n === REG_SP ? 'sp' : `r${n}`;
}
