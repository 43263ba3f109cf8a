/**
 * `cpu.instructions_per_s`: a loop-and-call program on one CPU, through a bus that
 * mimics an MMU with a TLB-cached translation (a direct-mapped TLB of typed arrays in
 * front of page-sized Uint32Arrays, checked on every access).
 */
import { opsPerSecond } from '../../../scripts/benchkit.ts';
import { assemble, createMachine, type MemoryBus, type PageFault } from '../src/index.ts';

const PAGE_SHIFT = 12;
const TLB_SIZE = 64;

/**
 * Physical memory as 4 KiB page frames (page-sized Uint32Array views of one buffer),
 * reached through a 64-entry direct-mapped TLB held in typed arrays. A TLB entry
 * caches a translation (virtual page, user or kernel access) -> the frame's first
 * word in physical memory; a miss walks the "page table" (here an identity map, the
 * kernel half at 0xC0000000) and refills the entry, exactly what an MMU's TLB does.
 */
function createTlbBus(pages: number): MemoryBus {
  const memory = new Uint32Array(pages * 1024);
  const frames = Array.from({ length: pages }, (_, pfn) => memory.subarray(pfn * 1024, (pfn + 1) * 1024));
  // A tag is (virtual page << 1) | user: user and kernel accesses are cached apart, so a
  // hit needs one comparison and a kernel-only page never hits for user mode.
  const tlbTag = new Int32Array(TLB_SIZE).fill(-1);
  const tlbBase = new Int32Array(TLB_SIZE);
  const kernelBase = 0xc0000000;
  const walk = (vaddr: number, user: boolean, access: number): number => {
    const vpn = vaddr >>> PAGE_SHIFT;
    const kernel = vaddr >>> 0 >= kernelBase;
    const pfn = kernel ? vpn - (kernelBase >>> PAGE_SHIFT) : vpn;
    const frame = frames[pfn];
    if (frame === undefined || (user && kernel)) {
      const fault: PageFault = { kind: 'page-fault', address: vaddr >>> 0, errorCode: (frame ? 1 : 0) | access | (user ? 4 : 0) };
      throw fault;
    }
    const tag = (vpn << 1) | (user ? 1 : 0);
    tlbTag[tag & (TLB_SIZE - 1)] = tag;
    tlbBase[tag & (TLB_SIZE - 1)] = pfn * 1024;
    return pfn * 1024;
  };
  /** Index in `memory` of the word at `vaddr`. */
  const word = (vaddr: number, user: boolean, access: number): number => {
    const tag = ((vaddr >>> PAGE_SHIFT) << 1) | (user ? 1 : 0);
    const slot = tag & (TLB_SIZE - 1);
    return (tlbTag[slot] === tag ? (tlbBase[slot] as number) : walk(vaddr, user, access)) + ((vaddr & 0xfff) >>> 2);
  };
  return {
    read32: (vaddr, user) => (memory[word(vaddr, user, 0)] as number) >>> 0,
    write32: (vaddr, value, user) => {
      memory[word(vaddr, user, 2)] = value;
    },
    read8: (vaddr, user) => ((memory[word(vaddr, user, 0)] as number) >>> ((vaddr & 3) * 8)) & 0xff,
    write8: (vaddr, value, user) => {
      const i = word(vaddr, user, 2);
      const shift = (vaddr & 3) * 8;
      memory[i] = ((memory[i] as number) & ~(0xff << shift)) | ((value & 0xff) << shift);
    },
    fetch32: (vaddr, user) => memory[word(vaddr, user, 0x10)] as number,
    loadPageTableBase: () => tlbTag.fill(-1),
    invalidatePage: (vaddr) => {
      for (const user of [0, 1]) {
        const tag = ((vaddr >>> PAGE_SHIFT) << 1) | user;
        if (tlbTag[tag & (TLB_SIZE - 1)] === tag) tlbTag[tag & (TLB_SIZE - 1)] = -1;
      }
    },
  };
}

const ITERATIONS = 100_000;
const SOURCE = `
.section .text 0xc0100000
.func main
    mov r0, 0
    mov r1, ${ITERATIONS}
.Lloop:
    mov r2, r0
    call square_plus
    add r3, r2
    add r0, 1
    cmp r0, r1
    jl .Lloop
    cli
    hlt
.endfunc
.func square_plus          ; r2 = r2 * r2 + counter, through the stack
    push r4
    ld r4, [counter]
    mul r2, r2
    add r2, r4
    add r4, 1
    st [counter], r4
    pop r4
    ret
.endfunc
.section .data 0xc0110000
counter: .word 0
`;

function setup() {
  const bus = createTlbBus(512);
  const image = assemble(SOURCE, { source: 'bench.s' });
  for (const s of image.sections) {
    for (let i = 0; i < s.bytes.length; i++) bus.write8(s.address + i, s.bytes[i] as number, false);
  }
  const machine = createMachine({ bus, quantum: 10_000 });
  const cpu = machine.cpus[0];
  if (cpu === undefined) throw new Error('no cpu');
  const main = image.address('main');
  const once = (): number => {
    const before = cpu.instructions;
    cpu.reset({ pc: main, sp: 0xc0180000 });
    machine.runUntil(machine.clock.now + 100_000_000);
    if (!cpu.halted) throw new Error('the benchmark program did not finish');
    return cpu.instructions - before;
  };
  return { once };
}

export default {
  async run() {
    const { once } = setup();
    const perCall = once();
    return { 'cpu.instructions_per_s': await opsPerSecond('cpu loop-and-call', once, perCall) };
  },
  targets: { 'cpu.instructions_per_s': { min: 50_000_000 } },
};
