import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPhysicalMemory } from '../physmem.ts';
import { walkPageTables } from '../walk.ts';
import { createTranslation, translateInto } from './translate.ts';

const PGD = 0x0010_0000;
const PT = 0x0010_1000;

describe('translateInto (the TLB fill) and walkPageTables (the teaching walk)', () => {
  it('agree on every PDE/PTE combination, access and A/D update', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x1ff }),
        fc.integer({ min: 0, max: 0x1ff }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xfff }),
        (pdeBits, pteBits, write, user, large, offset) => {
          const setup = () => {
            const phys = createPhysicalMemory({ size: 8 << 20 });
            // PDE 0x020 covers 0x08000000-0x083fffff: a table at PT, or a 4 MiB page at 0x00400000.
            phys.write32(PGD + 0x20 * 4, large ? (0x0040_0000 | pdeBits | 0x80) >>> 0 : (PT | (pdeBits & ~0x80)) >>> 0);
            phys.write32(PT + 0x48 * 4, (0x0020_0000 | pteBits) >>> 0);
            return phys;
          };
          const va = 0x0804_8000 + offset;
          const a = setup();
          const walk = walkPageTables(a, PGD, va, { write, user }, true);
          const b = setup();
          const out = createTranslation();
          const ok = translateInto(b, PGD, va, write, user, true, out);
          expect(ok).toBe(walk.fault === null);
          if (ok) {
            expect(out.paddr).toBe(walk.paddr);
            expect(out.writable).toBe(walk.writable);
            expect(out.userAccessible).toBe(walk.userAccessible);
            expect(out.global).toBe(walk.global);
            expect(out.large).toBe(walk.pageSize === 4 << 20);
            expect(out.leaf).toBe(walk.pteAfter ?? walk.pdeAfter);
          } else {
            expect(out.errorCode).toBe(walk.fault?.errorCode);
          }
          // The same accessed and dirty bits end up in memory.
          expect(b.read32(PGD + 0x20 * 4)).toBe(a.read32(PGD + 0x20 * 4));
          expect(b.read32(PT + 0x48 * 4)).toBe(a.read32(PT + 0x48 * 4));
        },
      ),
      { numRuns: 2000, seed: 4242 },
    );
  });
});
