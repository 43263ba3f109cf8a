import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import { createMmu, type MmuEvent, parseProtection } from '@ossim/mmu';
import { describe, expect, it } from 'vitest';
import { withFaults } from './helpers.ts';

function recorded() {
  const log = createEventLog({ clock: createClock() });
  const events: OssimEvent[] = [];
  log.listen((e) => events.push(e));
  const mmu = createMmu({ memorySize: 16 * 1024 * 1024, log });
  return { mmu, events };
}
const strip = (events: OssimEvent[]) => events.map(({ seq: _seq, time: _time, ...rest }) => rest);

describe('events', () => {
  it('records frame allocation, mapping and the fault that caused them', () => {
    const { mmu, events } = recorded();
    expect(events).toEqual([]); // boot allocations come from boot memory, not the buddy allocator
    const mm = mmu.createAddressSpace();
    mm.mmap({ start: 0x0804_8000, length: 4096, prot: parseProtection('rw-u') });
    const bus = mmu.bus(0);
    bus.loadPageTableBase(mm.pgd);
    events.length = 0;
    withFaults(mm, () => bus.write32(0x0804_8000, 1, true));
    const pgdPfn = mm.pgd / 4096;
    expect(strip(events)).toEqual([
      { type: 'mmu.frame_alloc', pfn: pgdPfn + 1, order: 0 },
      { type: 'mmu.frame_alloc', pfn: pgdPfn + 2, order: 0 },
      { type: 'mmu.page_map', mm: mm.id, address: 0x0804_8000, pfn: pgdPfn + 1, entry: ((pgdPfn + 1) * 4096 + 0x47) >>> 0, pageSize: 4096 },
      { type: 'mmu.page_fault', mm: mm.id, address: 0x0804_8000, errorCode: 0x6, resolved: true, outcome: 'demand-zero' },
    ]);
  });

  it('records CR3 loads, copy-on-write copies, refusals, stack growth and teardown, as plain JSON', () => {
    const { mmu, events } = recorded();
    const mm = mmu.createAddressSpace();
    const bus = mmu.bus(0);
    bus.loadPageTableBase(mm.pgd);
    mm.setupStack({ size: 4096 });
    withFaults(mm, () => bus.write32(0xbfff_fffc, 1, true));
    const child = mm.fork();
    if (child === null) throw new Error('fork failed');
    bus.loadPageTableBase(child.pgd);
    withFaults(child, () => bus.write32(0xbfff_fffc, 2, true));
    withFaults(child, () => bus.write32(0xbfff_effc, 3, true));
    withFaults(child, () => bus.read32(0x0100_0000, true));
    bus.invalidatePage(0xbfff_f000);
    bus.loadPageTableBase(mmu.swapperPgDir);
    child.destroy();
    const types = events.map((e) => e.type);
    for (const type of [
      'mmu.mm_create',
      'mmu.tlb_flush',
      'mmu.cow_copy',
      'mmu.stack_expand',
      'mmu.page_unmap',
      'mmu.frame_free',
      'mmu.mm_destroy',
    ] as const) {
      expect(types).toContain(type);
    }
    const mmuEvents = events.filter((e): e is MmuEvent => e.type.startsWith('mmu.'));
    expect(mmuEvents.find((e) => e.type === 'mmu.mm_create' && e.parent !== null)).toMatchObject({ mm: child.id, parent: mm.id });
    expect(mmuEvents.find((e) => e.type === 'mmu.cow_copy')).toMatchObject({ mm: child.id, address: 0xbfff_f000 });
    expect(mmuEvents.find((e) => e.type === 'mmu.stack_expand')).toMatchObject({ mm: child.id, start: 0xbfff_e000, end: 0xc000_0000 });
    expect(mmuEvents.filter((e) => e.type === 'mmu.page_fault').map((e) => e.outcome)).toEqual([
      'demand-zero',
      'cow-copy',
      'demand-zero',
      'stack-limit',
    ]); // 0x01000000: below the only region, the stack
    expect(mmuEvents.filter((e) => e.type === 'mmu.tlb_flush').map((e) => e.reason)).toEqual([
      'cr3-load',
      'shootdown', // fork write-protected the parent, which CPU 0 runs
      'cr3-load',
      'shootdown', // the copy replaced a present PTE
      'invlpg',
      'cr3-load',
    ]);
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });

  it('emits vmalloc, vfree and kernel faults with mm null', () => {
    const { mmu, events } = recorded();
    const va = mmu.vmalloc(1, { guardPages: 2 }) as number;
    mmu.handleFault(null, va - 4096, 0x2);
    mmu.vfree(va);
    expect(strip(events).map((e) => e.type)).toEqual([
      'mmu.frame_alloc',
      'mmu.page_map',
      'mmu.vmalloc',
      'mmu.page_fault',
      'mmu.page_unmap',
      'mmu.tlb_flush',
      'mmu.frame_free',
      'mmu.vfree',
    ]);
    expect(events[3]).toMatchObject({ mm: null, address: va - 4096, errorCode: 2, resolved: false, outcome: 'vmalloc-guard' });
    expect(events[2]).toMatchObject({ address: va, pages: 1, guardPages: 2 });
  });
});
