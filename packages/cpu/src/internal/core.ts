import { isPageFault, type MemoryBus } from '../bus.ts';
import { CpuError } from '../errors.ts';
import type { ExceptionKind, TrapKind, TrapStack } from '../events.ts';
import { type CpuMode, PS, PS_FLAGS, TRAP_ENTRY_CYCLES, TrapFrame, Vector } from '../isa.ts';
import type { Cpu, CpuRegisters, Machine, NativeFn } from '../machine.ts';
import {
  ALU_ADD,
  ALU_AND,
  ALU_CMP,
  ALU_DIV,
  ALU_MUL,
  ALU_OR,
  ALU_REM,
  ALU_SAR,
  ALU_SHL,
  ALU_SHR,
  ALU_SUB,
  ALU_TEST,
  ALU_XOR,
  OP_ALU_RI,
  OP_ALU_RS,
  OP_CALL_I,
  OP_CALL_R,
  OP_CLI,
  OP_HLT,
  OP_INVLPG,
  OP_IRET,
  OP_JMP,
  OP_JMP_R,
  OP_LD,
  OP_LD_A,
  OP_LDB,
  OP_LDB_A,
  OP_MOV_CR,
  OP_MOV_RC,
  OP_MOV_RI,
  OP_MOV_RR,
  OP_MOV_RS,
  OP_NCALL,
  OP_NOP,
  OP_POP_L,
  OP_POP_R,
  OP_PUSH_I,
  OP_PUSH_L,
  OP_PUSH_R,
  OP_RET,
  OP_ST,
  OP_ST_A,
  OP_STB,
  OP_STB_A,
  OP_STI,
  OP_SYSCALL,
  OP_UD,
  OP_WORK_I,
  OP_WORK_R,
  REG_SP,
} from './opcodes.ts';

/** What a CPU needs from its machine. */
export interface Host {
  readonly machine: Machine;
  readonly natives: ReadonlyMap<number, NativeFn>;
  /** The natives numbered below {@link NATIVE_TABLE_SIZE}, by number (the translator's quick way to them). */
  readonly nativeTable: readonly (NativeFn | undefined)[];
  /** Per vector: 1 when its trap_enter and trap_exit are not published. */
  readonly quiet: Uint8Array;
  /** Appends a `cpu.*` event stamped with the CPU's local time. */
  emit(cpu: CpuCore, type: string, payload: object): void;
  /** Moves the simulated clock to the CPU's local time (before a native runs). */
  stamp(cpu: CpuCore): void;
  /** True once something asked the current run to stop (`Machine.stop`); the machine sets and clears it. */
  stopping: boolean;
}

const F_C = PS.C;
const F_V = PS.V;
const F_Z = PS.Z;
const F_N = PS.N;

// Why the fast loop stopped.
const T_NONE = 0;
const T_UD = 1;
const T_GP = 2;
const T_DE = 3;
const T_SYSCALL = 4;
const T_HLT = 5;
const T_IRET = 6;
const T_NCALL = 7;
const T_STI = 8;

const EXCEPTION_KIND: Readonly<Record<number, ExceptionKind>> = {
  [Vector.DIVIDE_ERROR]: 'divide-error',
  [Vector.INVALID_OPCODE]: 'invalid-opcode',
  [Vector.DOUBLE_FAULT]: 'double-fault',
  [Vector.GENERAL_PROTECTION]: 'general-protection',
  [Vector.PAGE_FAULT]: 'page-fault',
};

const u32 = (v: number, what: string): number => {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new CpuError('bad-register', `${what}: ${v} is not a 32-bit value`);
  return v >>> 0;
};

/** One CPU: architectural state plus the bookkeeping of the interleaving. */
export class CpuCore implements Cpu {
  readonly id: number;
  readonly bus: MemoryBus;
  readonly host: Host;
  /** The host's {@link Host.nativeTable}, one load closer for translated code. */
  readonly nativeTable: readonly (NativeFn | undefined)[];
  /** r0-r15, then sp (index 16). Signed view; the API returns unsigned values. */
  readonly r = new Int32Array(17);
  /** Scratch for `pop {list}` (values are read before any register changes). */
  readonly scratch = new Int32Array(16);
  pcValue = 0;
  user = false;
  ie = false;
  flags = 0;
  cr2Value = 0;
  cr3Value = 0;
  sp0Value = 0;
  idtrValue = 0;
  irqspValue = 0;
  irqsizeValue = 0;
  dfspValue = 0;
  cycles = 0;
  instructions = 0;
  idleCycles = 0;
  halted = false;
  shutdown = false;
  /** Per vector: the cycle at which a raised interrupt becomes deliverable, or -1. */
  readonly pending = new Float64Array(256).fill(-1);
  pendingCount = 0;

  constructor(id: number, bus: MemoryBus, host: Host) {
    this.id = id;
    this.bus = bus;
    this.host = host;
    this.nativeTable = host.nativeTable;
  }

  get machine(): Machine {
    return this.host.machine;
  }
  get pc(): number {
    return this.pcValue;
  }
  set pc(v: number) {
    this.pcValue = u32(v, 'pc');
  }
  get sp(): number {
    return (this.r[REG_SP] as number) >>> 0;
  }
  set sp(v: number) {
    this.r[REG_SP] = u32(v, 'sp');
  }
  get ps(): number {
    return (this.user ? PS.USER : 0) | (this.ie ? PS.IE : 0) | this.flags;
  }
  set ps(v: number) {
    const ps = u32(v, 'ps');
    this.user = (ps & PS.USER) !== 0;
    this.ie = (ps & PS.IE) !== 0;
    this.flags = ps & PS_FLAGS;
  }
  get mode(): CpuMode {
    return this.user ? 'user' : 'kernel';
  }
  get interruptsEnabled(): boolean {
    return this.ie;
  }
  get cr2(): number {
    return this.cr2Value;
  }
  set cr2(v: number) {
    this.cr2Value = u32(v, 'cr2');
  }
  get cr3(): number {
    return this.cr3Value;
  }
  setCr3(paddr: number): void {
    this.cr3Value = u32(paddr, 'cr3');
    this.bus.loadPageTableBase(this.cr3Value);
  }
  get sp0(): number {
    return this.sp0Value;
  }
  set sp0(v: number) {
    this.sp0Value = u32(v, 'sp0');
  }
  get idtr(): number {
    return this.idtrValue;
  }
  set idtr(v: number) {
    this.idtrValue = u32(v, 'idtr');
  }
  get irqsp(): number {
    return this.irqspValue;
  }
  set irqsp(v: number) {
    this.irqspValue = u32(v, 'irqsp');
  }
  get irqsize(): number {
    return this.irqsizeValue;
  }
  set irqsize(v: number) {
    this.irqsizeValue = u32(v, 'irqsize');
  }
  get dfsp(): number {
    return this.dfspValue;
  }
  set dfsp(v: number) {
    this.dfspValue = u32(v, 'dfsp');
  }
  get timeNs(): number {
    return this.host.machine.nsOf(this.cycles);
  }

  reg(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > REG_SP)
      throw new CpuError('bad-register', `register number ${n}: use 0-15 (r0-r15) or 16 (sp)`);
    return (this.r[n] as number) >>> 0;
  }
  setReg(n: number, value: number): void {
    this.reg(n);
    this.r[n] = u32(value, `r${n}`);
  }
  registers(): CpuRegisters {
    return {
      r: Array.from(this.r.subarray(0, 16), (v) => v >>> 0),
      sp: this.sp,
      pc: this.pcValue,
      ps: this.ps,
      mode: this.mode,
      interruptsEnabled: this.ie,
      flags: `${this.flags & F_N ? 'N' : '-'}${this.flags & F_Z ? 'Z' : '-'}${this.flags & F_C ? 'C' : '-'}${this.flags & F_V ? 'V' : '-'}`,
    };
  }
  charge(cycles: number): void {
    if (!Number.isSafeInteger(cycles) || cycles < 0) throw new CpuError('bad-config', `charge: ${cycles} is not a cycle count`);
    this.cycles += cycles;
  }
  reset(state: { pc?: number; sp?: number; ps?: number } = {}): void {
    this.r.fill(0);
    this.pc = state.pc ?? 0;
    this.sp = state.sp ?? 0;
    this.ps = state.ps ?? 0;
    this.halted = false;
    this.shutdown = false;
    this.pending.fill(-1);
    this.pendingCount = 0;
  }

  /** Value of control register `n`, or undefined when there is none. */
  readControl(n: number): number | undefined {
    switch (n) {
      case 0:
        return this.cr2Value;
      case 1:
        return this.cr3Value;
      case 2:
        return this.sp0Value;
      case 3:
        return this.idtrValue;
      case 4:
        return this.id;
      case 5:
        return this.irqspValue;
      case 6:
        return this.irqsizeValue;
      case 7:
        return this.dfspValue;
      default:
        return undefined;
    }
  }

  /** Writes control register `n`; false when it does not exist or is read-only. */
  writeControl(n: number, value: number): boolean {
    const v = value >>> 0;
    switch (n) {
      case 0:
        this.cr2Value = v;
        return true;
      case 1:
        this.setCr3(v);
        return true;
      case 2:
        this.sp0Value = v;
        return true;
      case 3:
        this.idtrValue = v;
        return true;
      case 5:
        this.irqspValue = v;
        return true;
      case 6:
        this.irqsizeValue = v;
        return true;
      case 7:
        this.dfspValue = v;
        return true;
      default:
        return false;
    }
  }

  /** Marks `vector` pending from cycle `due` (the earliest raise wins). */
  raise(vector: number, due: number): void {
    const cur = this.pending[vector] as number;
    if (cur < 0) {
      this.pending[vector] = due;
      this.pendingCount++;
    } else if (due < cur) this.pending[vector] = due;
  }

  /** The earliest cycle at which a pending interrupt becomes deliverable (Infinity when none). */
  nextDue(): number {
    let min = Number.POSITIVE_INFINITY;
    if (this.pendingCount === 0) return min;
    for (let v = Vector.FIRST_EXTERNAL; v < 256; v++) {
      const d = this.pending[v] as number;
      if (d >= 0 && d < min) min = d;
    }
    return min;
  }

  /** Removes and returns the highest pending vector deliverable at cycle `now`, or -1. */
  takeDue(now: number): number {
    for (let v = 255; v >= Vector.FIRST_EXTERNAL; v--) {
      const d = this.pending[v] as number;
      if (d >= 0 && d <= now) {
        this.pending[v] = -1;
        this.pendingCount--;
        return v;
      }
    }
    return -1;
  }

  /** Detects an exception: publishes `cpu.exception`, sets cr2 for page faults, delivers it. */
  exception(vector: number, errorCode: number, address: number | null, pc: number): void {
    this.report(vector, errorCode, address, pc);
    this.deliver(vector, 'exception', errorCode, pc);
  }

  /** Publishes `cpu.exception` (and sets cr2 for a page fault). */
  report(vector: number, errorCode: number, address: number | null, pc: number): void {
    if (address !== null) this.cr2Value = address >>> 0;
    this.host.emit(this, 'cpu.exception', {
      cpu: this.id,
      kind: EXCEPTION_KIND[vector] as ExceptionKind,
      vector,
      pc: pc >>> 0,
      address: address === null ? null : address >>> 0,
      errorCode,
      mode: this.mode,
    });
  }

  /**
   * Trap entry: picks the stack, reads the handler from the vector table, pushes the
   * five-word frame through the bus, then (and only then) switches to kernel mode
   * with interrupts disabled and jumps to the handler. A fault on the way is an
   * exception of its own: delivered normally when the trap being delivered is an
   * interrupt or a system call, a double fault when it is an exception, a shutdown
   * when it is the double fault.
   */
  deliver(vector: number, kind: TrapKind, errorCode: number, returnPc: number): void {
    const bus = this.bus;
    const spBefore = (this.r[REG_SP] as number) >>> 0;
    const psBefore = this.ps;
    const modeBefore = this.mode;
    let top: number;
    let stack: TrapStack;
    if (vector === Vector.DOUBLE_FAULT && this.dfspValue !== 0) {
      top = this.dfspValue;
      stack = 'exception';
    } else if (this.user) {
      top = this.sp0Value;
      stack = 'sp0';
    } else if (kind === 'interrupt' && this.irqsizeValue !== 0 && !this.onIrqStack(spBefore)) {
      top = this.irqspValue;
      stack = 'irq';
    } else {
      top = spBefore;
      stack = 'current';
    }
    let nestedVector = -1;
    let nestedCode = 0;
    let nestedAddress: number | null = null;
    let handler = 0;
    try {
      handler = bus.read32((this.idtrValue + vector * 4) >>> 0, false);
      if (handler === 0) {
        nestedVector = Vector.GENERAL_PROTECTION;
        nestedCode = (vector << 3) | 2;
      } else {
        bus.write32((top - 4) >>> 0, spBefore, false);
        bus.write32((top - 8) >>> 0, psBefore, false);
        bus.write32((top - 12) >>> 0, returnPc, false);
        bus.write32((top - 16) >>> 0, vector, false);
        bus.write32((top - 20) >>> 0, errorCode, false);
      }
    } catch (e) {
      if (!isPageFault(e)) throw e;
      nestedVector = Vector.PAGE_FAULT;
      nestedCode = e.errorCode;
      nestedAddress = e.address;
    }
    if (nestedVector >= 0) {
      this.report(nestedVector, nestedCode, nestedAddress, returnPc);
      if (vector === Vector.DOUBLE_FAULT) {
        this.shutdown = true;
        this.halted = true;
        this.host.emit(this, 'cpu.shutdown', { cpu: this.id, pc: returnPc >>> 0, kind: EXCEPTION_KIND[nestedVector] as ExceptionKind });
      } else if (kind === 'exception') {
        this.exception(Vector.DOUBLE_FAULT, 0, null, returnPc);
      } else {
        this.deliver(nestedVector, 'exception', nestedCode, returnPc);
      }
      return;
    }
    const frame = (top - TrapFrame.SIZE) >>> 0;
    this.r[REG_SP] = frame;
    this.user = false;
    this.ie = false;
    this.flags = 0;
    this.pcValue = handler >>> 0;
    this.halted = false;
    this.cycles += TRAP_ENTRY_CYCLES;
    if (this.host.quiet[vector] === 1) return;
    this.host.emit(this, 'cpu.trap_enter', {
      cpu: this.id,
      vector,
      kind,
      modeBefore,
      pc: returnPc >>> 0,
      handler: handler >>> 0,
      spBefore,
      spAfter: frame,
      stack,
      errorCode,
    });
  }

  /** True when `sp` lies on this CPU's interrupt stack (between its base and its top, inclusive). */
  onIrqStack(sp: number): boolean {
    const base = (this.irqspValue - this.irqsizeValue) >>> 0;
    return sp >= base && sp <= this.irqspValue;
  }
}

/**
 * Runs `c` until its cycle count reaches `end`, or after one instruction when
 * `single`, or after the first jump, call or return when `untilJump`, or at the first
 * instruction that needs the machine's attention (a trap, `hlt`, `iret`, `sti`,
 * `ncall`). Never changes a register before every memory access of the instruction
 * has succeeded, so a faulting instruction restarts cleanly. Returns true when it
 * stopped for the machine's attention (the machine then looks for a stop asked for and
 * an interrupt to deliver), false when the cycles, the one instruction or the jump ended it.
 */
export function execute(c: CpuCore, end: number, single: boolean, untilJump = false): boolean {
  const r = c.r;
  const bus = c.bus;
  const user = c.user;
  let pc = c.pcValue | 0;
  let cyc = c.cycles;
  let flags = c.flags;
  let count = 0;
  let stop = T_NONE;
  let aux = 0;
  let aux2 = 0;
  let jumped = false;
  try {
    loop: while (cyc < end) {
      const w = bus.fetch32(pc >>> 0, user);
      const op = w & 0xff;
      const a = (w >>> 8) & 31;
      const b = (w >>> 13) & 31;
      switch (op) {
        case OP_NOP:
          pc = (pc + 4) | 0;
          cyc += 1;
          break;
        case OP_MOV_RR:
          if (a > REG_SP || b > REG_SP) {
            stop = T_UD;
            break loop;
          }
          r[a] = r[b] as number;
          pc = (pc + 4) | 0;
          cyc += 1;
          break;
        case OP_MOV_RS:
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          r[a] = w >> 13;
          pc = (pc + 4) | 0;
          cyc += 1;
          break;
        case OP_MOV_RI: {
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          const v = bus.fetch32((pc + 4) >>> 0, user);
          r[a] = v;
          pc = (pc + 8) | 0;
          cyc += 1;
          break;
        }
        case 0x20:
        case 0x21:
        case 0x22:
        case 0x23:
        case 0x24:
        case 0x25:
        case 0x26:
        case 0x27:
        case 0x28:
        case 0x29:
        case 0x2a:
        case 0x2b:
        case 0x2c:
        case 0x30:
        case 0x31:
        case 0x32:
        case 0x33:
        case 0x34:
        case 0x38:
        case 0x39:
        case 0x3a:
        case 0x3b:
        case 0x3c:
        case 0x70:
        case 0x71:
        case 0x72:
        case 0x73:
        case 0x74:
        case 0x75:
        case 0x76:
        case 0x77:
        case 0x78:
        case 0x79:
        case 0x7a:
        case 0x7b:
        case 0x7c: {
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          let y: number;
          let next: number;
          if (op >= OP_ALU_RS) {
            y = w >> 13;
            next = (pc + 4) | 0;
          } else if (op >= OP_ALU_RI) {
            y = bus.fetch32((pc + 4) >>> 0, user) | 0;
            next = (pc + 8) | 0;
          } else {
            if (b > REG_SP) {
              stop = T_UD;
              break loop;
            }
            y = r[b] as number;
            next = (pc + 4) | 0;
          }
          const x = r[a] as number;
          let res: number;
          switch (op & 0x0f) {
            case ALU_ADD:
              res = (x + y) | 0;
              flags =
                (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0) | (res >>> 0 < x >>> 0 ? F_C : 0) | ((~(x ^ y) & (x ^ res)) < 0 ? F_V : 0);
              r[a] = res;
              cyc += 1;
              break;
            case ALU_SUB:
            case ALU_CMP:
              res = (x - y) | 0;
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0) | (x >>> 0 < y >>> 0 ? F_C : 0) | (((x ^ y) & (x ^ res)) < 0 ? F_V : 0);
              if ((op & 0x0f) === ALU_SUB) r[a] = res;
              cyc += 1;
              break;
            case ALU_AND:
            case ALU_TEST:
              res = x & y;
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0);
              if ((op & 0x0f) === ALU_AND) r[a] = res;
              cyc += 1;
              break;
            case ALU_OR:
              res = x | y;
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0);
              r[a] = res;
              cyc += 1;
              break;
            case ALU_XOR:
              res = x ^ y;
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0);
              r[a] = res;
              cyc += 1;
              break;
            case ALU_SHL:
              res = x << (y & 31);
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0);
              r[a] = res;
              cyc += 1;
              break;
            case ALU_SHR:
              res = (x >>> (y & 31)) | 0;
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0);
              r[a] = res;
              cyc += 1;
              break;
            case ALU_SAR:
              res = x >> (y & 31);
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0);
              r[a] = res;
              cyc += 1;
              break;
            case ALU_MUL:
              res = Math.imul(x, y);
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0);
              r[a] = res;
              cyc += 3;
              break;
            case ALU_DIV:
            case ALU_REM:
              if (y === 0) {
                stop = T_DE;
                break loop;
              }
              res = (op & 0x0f) === ALU_DIV ? ((x >>> 0) / (y >>> 0)) | 0 : ((x >>> 0) % (y >>> 0)) | 0;
              flags = (res < 0 ? F_N : 0) | (res === 0 ? F_Z : 0);
              r[a] = res;
              cyc += 12;
              break;
            default:
              stop = T_UD;
              break loop;
          }
          pc = next;
          break;
        }
        case OP_LD:
        case OP_LDB:
        case OP_ST:
        case OP_STB: {
          if (a > REG_SP || b > REG_SP) {
            stop = T_UD;
            break loop;
          }
          const addr = ((r[b] as number) + (w >> 18)) >>> 0;
          if (op === OP_LD) r[a] = bus.read32(addr, user);
          else if (op === OP_LDB) r[a] = bus.read8(addr, user);
          else if (op === OP_ST) bus.write32(addr, r[a] as number, user);
          else bus.write8(addr, (r[a] as number) & 0xff, user);
          pc = (pc + 4) | 0;
          cyc += 2;
          break;
        }
        case OP_LD_A:
        case OP_LDB_A:
        case OP_ST_A:
        case OP_STB_A: {
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          const addr = bus.fetch32((pc + 4) >>> 0, user);
          if (op === OP_LD_A) r[a] = bus.read32(addr, user);
          else if (op === OP_LDB_A) r[a] = bus.read8(addr, user);
          else if (op === OP_ST_A) bus.write32(addr, r[a] as number, user);
          else bus.write8(addr, (r[a] as number) & 0xff, user);
          pc = (pc + 8) | 0;
          cyc += 2;
          break;
        }
        case OP_PUSH_R: {
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          const sp = ((r[REG_SP] as number) - 4) >>> 0;
          bus.write32(sp, r[a] as number, user);
          r[REG_SP] = sp;
          pc = (pc + 4) | 0;
          cyc += 2;
          break;
        }
        case OP_POP_R: {
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          const sp = (r[REG_SP] as number) >>> 0;
          const v = bus.read32(sp, user);
          r[REG_SP] = sp + 4;
          r[a] = v;
          pc = (pc + 4) | 0;
          cyc += 2;
          break;
        }
        case OP_PUSH_I: {
          const v = bus.fetch32((pc + 4) >>> 0, user);
          const sp = ((r[REG_SP] as number) - 4) >>> 0;
          bus.write32(sp, v, user);
          r[REG_SP] = sp;
          pc = (pc + 8) | 0;
          cyc += 2;
          break;
        }
        case OP_PUSH_L: {
          const mask = w >>> 16;
          if (mask === 0) {
            stop = T_UD;
            break loop;
          }
          // As if pushed one by one from r15 down to r0: the lowest register ends up lowest.
          let addr = (r[REG_SP] as number) >>> 0;
          let n = 0;
          for (let i = 15; i >= 0; i--) {
            if ((mask & (1 << i)) === 0) continue;
            addr = (addr - 4) >>> 0;
            bus.write32(addr, r[i] as number, user);
            n++;
          }
          r[REG_SP] = addr;
          pc = (pc + 4) | 0;
          cyc += 1 + n;
          break;
        }
        case OP_POP_L: {
          const mask = w >>> 16;
          if (mask === 0) {
            stop = T_UD;
            break loop;
          }
          const s = c.scratch;
          let addr = (r[REG_SP] as number) >>> 0;
          let n = 0;
          for (let i = 0; i < 16; i++) {
            if ((mask & (1 << i)) === 0) continue;
            s[i] = bus.read32(addr, user);
            addr = (addr + 4) >>> 0;
            n++;
          }
          for (let i = 0; i < 16; i++) if ((mask & (1 << i)) !== 0) r[i] = s[i] as number;
          r[REG_SP] = addr;
          pc = (pc + 4) | 0;
          cyc += 1 + n;
          break;
        }
        case OP_CALL_I: {
          const target = (pc + (w >> 8) * 4) | 0;
          const sp = ((r[REG_SP] as number) - 4) >>> 0;
          bus.write32(sp, (pc + 4) >>> 0, user);
          r[REG_SP] = sp;
          pc = target;
          cyc += 2;
          jumped = untilJump;
          break;
        }
        case OP_CALL_R: {
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          const target = r[a] as number;
          const sp = ((r[REG_SP] as number) - 4) >>> 0;
          bus.write32(sp, (pc + 4) >>> 0, user);
          r[REG_SP] = sp;
          pc = target;
          cyc += 2;
          jumped = untilJump;
          break;
        }
        case OP_RET: {
          const sp = (r[REG_SP] as number) >>> 0;
          const target = bus.read32(sp, user) | 0;
          r[REG_SP] = sp + 4;
          pc = target;
          cyc += 2;
          jumped = untilJump;
          break;
        }
        case OP_JMP_R:
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          pc = r[a] as number;
          cyc += 1;
          jumped = untilJump;
          break;
        case 0x60:
        case 0x61:
        case 0x62:
        case 0x63:
        case 0x64:
        case 0x65:
        case 0x66:
        case 0x67:
        case 0x68:
        case 0x69:
        case 0x6a:
        case 0x6b:
        case 0x6c:
        case 0x6d:
        case 0x6e: {
          const z = (flags & F_Z) !== 0;
          const cf = (flags & F_C) !== 0;
          const nf = (flags & F_N) !== 0;
          const vf = (flags & F_V) !== 0;
          let taken: boolean;
          switch (op - OP_JMP) {
            case 0:
              taken = true;
              break;
            case 1:
              taken = z;
              break;
            case 2:
              taken = !z;
              break;
            case 3:
              taken = nf !== vf;
              break;
            case 4:
              taken = nf === vf;
              break;
            case 5:
              taken = !z && nf === vf;
              break;
            case 6:
              taken = z || nf !== vf;
              break;
            case 7:
              taken = cf;
              break;
            case 8:
              taken = !cf;
              break;
            case 9:
              taken = !cf && !z;
              break;
            case 10:
              taken = cf || z;
              break;
            case 11:
              taken = nf;
              break;
            case 12:
              taken = !nf;
              break;
            case 13:
              taken = vf;
              break;
            default:
              taken = !vf;
              break;
          }
          pc = (pc + (taken ? (w >> 8) * 4 : 4)) | 0;
          cyc += 1;
          jumped = untilJump;
          break;
        }
        case OP_WORK_I: {
          const n = bus.fetch32((pc + 4) >>> 0, user);
          pc = (pc + 8) | 0;
          cyc += n === 0 ? 1 : n;
          break;
        }
        case OP_WORK_R: {
          if (a > REG_SP) {
            stop = T_UD;
            break loop;
          }
          // Interruptible, like x86 `rep`: the register holds the cycles still to do.
          const n = (r[a] as number) >>> 0;
          if (n === 0) {
            pc = (pc + 4) | 0;
            cyc += 1;
            break;
          }
          const room = end - cyc;
          if (n <= room) {
            cyc += n;
            r[a] = 0;
            pc = (pc + 4) | 0;
            break;
          }
          r[a] = n - room;
          cyc = end;
          continue loop;
        }
        case OP_SYSCALL:
          pc = (pc + 4) | 0;
          cyc += 1;
          count++;
          stop = T_SYSCALL;
          break loop;
        case OP_UD:
          stop = T_UD;
          break loop;
        case OP_HLT:
        case OP_CLI:
        case OP_STI:
        case OP_IRET:
        case OP_NCALL:
        case OP_INVLPG:
        case OP_MOV_RC:
        case OP_MOV_CR: {
          if (user) {
            stop = T_GP;
            break loop;
          }
          if (op === OP_HLT) {
            pc = (pc + 4) | 0;
            cyc += 1;
            count++;
            stop = T_HLT;
            break loop;
          }
          if (op === OP_CLI) {
            c.ie = false;
            pc = (pc + 4) | 0;
            cyc += 1;
            break;
          }
          if (op === OP_STI) {
            c.ie = true;
            pc = (pc + 4) | 0;
            cyc += 1;
            count++;
            stop = T_STI;
            break loop;
          }
          if (op === OP_IRET) {
            const sp = (r[REG_SP] as number) >>> 0;
            const vec = bus.read32((sp + TrapFrame.VECTOR) >>> 0, false);
            const npc = bus.read32((sp + TrapFrame.PC) >>> 0, false);
            const nps = bus.read32((sp + TrapFrame.PS) >>> 0, false);
            const nsp = bus.read32((sp + TrapFrame.SP) >>> 0, false);
            aux = sp;
            aux2 = vec;
            pc = npc | 0;
            flags = nps & PS_FLAGS;
            c.user = (nps & PS.USER) !== 0;
            c.ie = (nps & PS.IE) !== 0;
            r[REG_SP] = nsp;
            cyc += 10;
            count++;
            stop = T_IRET;
            break loop;
          }
          if (op === OP_NCALL) {
            const n = bus.fetch32((pc + 4) >>> 0, user);
            if (!c.host.natives.has(n)) {
              stop = T_UD;
              break loop;
            }
            aux = n;
            aux2 = pc >>> 0;
            pc = (pc + 8) | 0;
            cyc += 5;
            count++;
            stop = T_NCALL;
            break loop;
          }
          if (op === OP_INVLPG) {
            if (a > REG_SP) {
              stop = T_UD;
              break loop;
            }
            bus.invalidatePage((r[a] as number) >>> 0);
            pc = (pc + 4) | 0;
            cyc += 5;
            break;
          }
          if (op === OP_MOV_RC) {
            const v = c.readControl(b);
            if (a > REG_SP || v === undefined) {
              stop = T_UD;
              break loop;
            }
            r[a] = v;
            pc = (pc + 4) | 0;
            cyc += 1;
            break;
          }
          // mov ctl, reg
          if (b > REG_SP || a === 4 || c.readControl(a) === undefined) {
            stop = T_UD;
            break loop;
          }
          c.writeControl(a, r[b] as number);
          pc = (pc + 4) | 0;
          cyc += a === 1 ? 10 : 1;
          break;
        }
        default:
          stop = T_UD;
          break loop;
      }
      count++;
      if (single || jumped) break;
    }
  } catch (e) {
    c.pcValue = pc >>> 0;
    c.cycles = cyc;
    c.flags = flags;
    c.instructions += count;
    if (!isPageFault(e)) throw e;
    c.exception(Vector.PAGE_FAULT, e.errorCode, e.address, c.pcValue);
    return true;
  }
  c.pcValue = pc >>> 0;
  c.cycles = cyc;
  c.flags = flags;
  c.instructions += count;
  const at = c.pcValue;
  switch (stop) {
    case T_NONE:
      return false;
    case T_STI:
      return true;
    case T_UD:
      c.exception(Vector.INVALID_OPCODE, 0, null, at);
      return true;
    case T_GP:
      c.exception(Vector.GENERAL_PROTECTION, 0, null, at);
      return true;
    case T_DE:
      c.exception(Vector.DIVIDE_ERROR, 0, null, at);
      return true;
    case T_SYSCALL:
      c.deliver(Vector.SYSCALL, 'syscall', 0, at);
      return true;
    case T_HLT:
      c.halted = true;
      c.host.emit(c, 'cpu.halt', { cpu: c.id, pc: at, interruptsEnabled: c.ie });
      return true;
    case T_IRET:
      if (c.host.quiet[aux2] === 1) return true;
      c.host.emit(c, 'cpu.trap_exit', {
        cpu: c.id,
        vector: aux2,
        modeAfter: c.mode,
        pc: at,
        spBefore: aux,
        spAfter: (r[REG_SP] as number) >>> 0,
      });
      return true;
    default:
      callNative(c, aux, aux2);
      return true;
  }
}

/** Natives numbered below this are also in {@link Host.nativeTable}. */
export const NATIVE_TABLE_SIZE = 4096;

/** Runs native `n` for the `ncall` at `insnPc` (the CPU already past it), as the instruction does. */
export function callNative(c: CpuCore, n: number, insnPc: number): void {
  callNativeFn(c, c.host.natives.get(n) as NativeFn, insnPc);
}

/** Runs native function `fn` for the `ncall` at `insnPc` (the CPU already past it). */
export function callNativeFn(c: CpuCore, fn: NativeFn, insnPc: number): void {
  c.host.stamp(c);
  let result: unknown;
  try {
    result = fn(c);
  } catch (e) {
    if (!isPageFault(e)) throw e;
    // Restart the ncall once the kernel has handled the fault.
    c.instructions--;
    c.exception(Vector.PAGE_FAULT, e.errorCode, e.address, insnPc);
    return;
  }
  if (typeof result === 'number') c.r[0] = result;
}
