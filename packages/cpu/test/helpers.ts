import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import {
  assemble,
  type Cpu,
  type CpuConfig,
  createFlatBus,
  createMachine,
  type FlatBus,
  type Image,
  KERNEL_BASE,
  loadImage,
  type Machine,
  type MemoryBus,
  type NativeFn,
  type PageFault,
  PageFaultError,
} from '../src/index.ts';

/** Where the test kernels put things (kernel virtual addresses; physical = minus 0xC0000000). */
export const IDT = 0xc0001000;
export const KSTACK_TOP = 0xc0080000;
export const TEXT = 0xc0100000;
export const USER_TEXT = 0x00200000;
export const USER_STACK_TOP = 0x00300000;
export const MEMORY = 4 << 20;

export interface Rig {
  readonly bus: FlatBus;
  readonly machine: Machine;
  readonly cpu: Cpu;
  readonly image: Image;
  readonly events: OssimEvent[];
  /** Events of one type, without seq/time. */
  of<T extends OssimEvent['type']>(type: T): Extract<OssimEvent, { type: T }>[];
}

export interface RigOptions {
  readonly cpus?: number | readonly CpuConfig[];
  readonly natives?: Readonly<Record<string, NativeFn>>;
  /** Vector -> label of its handler, written into the IDT at 0xC0001000. */
  readonly vectors?: Readonly<Record<number, string>>;
  readonly quantum?: number;
  readonly frequencyHz?: number;
  readonly trace?: boolean;
  readonly quietVectors?: readonly number[];
  /** A bus to use instead of a fresh flat bus (must wrap `flat`). */
  readonly wrap?: (flat: FlatBus) => MemoryBus;
}

/**
 * Assembles `source`, loads it into a 4 MiB flat bus, and makes a machine whose CPU 0
 * starts in kernel mode at `start` with SP = 0xC0080000 and idtr = 0xC0001000.
 */
export function rig(source: string, options: RigOptions = {}): Rig {
  const bus = createFlatBus(MEMORY);
  const log = createEventLog({ clock: createClock() });
  const events: OssimEvent[] = [];
  log.listen((e) => events.push(e));
  const shared = options.wrap?.(bus) ?? bus;
  const machine = createMachine({
    bus: shared,
    log,
    ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
    ...(options.quantum === undefined ? {} : { quantum: options.quantum }),
    ...(options.frequencyHz === undefined ? {} : { frequencyHz: options.frequencyHz }),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
    ...(options.quietVectors === undefined ? {} : { quietVectors: options.quietVectors }),
  });
  for (const [name, fn] of Object.entries(options.natives ?? {})) machine.registerNative(name, fn);
  const image = assemble(source, { source: 'test.s', natives: machine.nativeNumbers() });
  loadImage(bus, image);
  for (const [vector, label] of Object.entries(options.vectors ?? {})) bus.write32(IDT + 4 * Number(vector), image.address(label), false);
  const cpu = machine.cpus[0] as Cpu;
  for (const c of machine.cpus) c.idtr = IDT;
  cpu.reset({ pc: image.symbols.get('start')?.address ?? TEXT, sp: KSTACK_TOP });
  return {
    bus,
    machine,
    cpu,
    image,
    events,
    of: (type) => events.filter((e) => e.type === type).map(strip) as never,
  };
}

function strip(e: OssimEvent): OssimEvent {
  const { seq: _seq, time: _time, ...rest } = e;
  return rest as OssimEvent;
}

/** Runs until every CPU halted (at most `limit` ns). */
export function runToHalt(r: Rig, limit = 1_000_000): void {
  r.machine.runUntil(r.machine.clock.now + limit);
}

/** Reads a word of physical memory (by kernel virtual or user address). */
export function peek32(bus: FlatBus, vaddr: number): number {
  return bus.read32(vaddr, false);
}

/**
 * A fake bus built on the contract: wraps a flat bus, records every access, and
 * refuses pages listed in `unmapped` with a not-present page fault (P clear) until
 * they are removed from the set.
 */
export interface InstrumentedBus extends MemoryBus {
  readonly unmapped: Set<number>;
  readonly accesses: string[];
}

export function instrumented(flat: FlatBus): InstrumentedBus {
  const unmapped = new Set<number>();
  const accesses: string[] = [];
  const check = (vaddr: number, len: number, user: boolean, access: number): void => {
    for (const a of [vaddr >>> 0, (vaddr + len - 1) >>> 0]) {
      const page = (a & ~0xfff) >>> 0;
      if (unmapped.has(page)) {
        const fault: PageFault = {
          kind: 'page-fault',
          address: a === vaddr >>> 0 ? a : page,
          errorCode: access | (user ? PageFaultError.U : 0),
        };
        throw fault;
      }
    }
  };
  return {
    unmapped,
    accesses,
    read32(vaddr, user) {
      check(vaddr, 4, user, 0);
      accesses.push(`r32 ${hex(vaddr)}`);
      return flat.read32(vaddr, user);
    },
    write32(vaddr, value, user) {
      check(vaddr, 4, user, PageFaultError.W);
      accesses.push(`w32 ${hex(vaddr)}`);
      flat.write32(vaddr, value, user);
    },
    read8(vaddr, user) {
      check(vaddr, 1, user, 0);
      return flat.read8(vaddr, user);
    },
    write8(vaddr, value, user) {
      check(vaddr, 1, user, PageFaultError.W);
      flat.write8(vaddr, value, user);
    },
    fetch32(vaddr, user) {
      check(vaddr, 4, user, PageFaultError.I);
      return flat.fetch32(vaddr, user);
    },
    loadPageTableBase: (p) => flat.loadPageTableBase(p),
    invalidatePage: (v) => flat.invalidatePage(v),
  };
}

export const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

export { KERNEL_BASE };
