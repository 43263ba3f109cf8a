import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.ts';

const example = join(import.meta.dirname, '../../../packages/mmu/examples/address-space.json');
const dir = mkdtempSync(join(tmpdir(), 'ossim-mmu-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = cli;
let files = 0;
function file(content: string): string {
  const path = join(dir, `d${files++}.json`);
  writeFileSync(path, content);
  return path;
}

describe('ossim mmu', () => {
  it('walks the example: PDE, PTE, physical address, A/D updates and faults with their bits spelled out', async () => {
    const { status, out, err } = await run('mmu', example);
    expect(err).toBe('');
    expect(status).toBe(0);
    expect(out).toContain('PTE index 72 (0x048) at 0x001f3120 = 0x00400005  [P US] -> frame 0x00400000');
    expect(out).toContain('physical address 0x00400010');
    expect(out).toContain('PTE 0x00400005 -> 0x00400025');
    expect(out).toContain('page fault: error code 0x7 (protection, write, user)');
    expect(out).toContain('page fault: error code 0x6 (not-present, write, user)');
    expect(out).toContain('PDE index 33 (0x021) at 0x001f2084 = 0x00800087  [P RW US PS] -> 4 MiB page at 0x00800000');
    expect(out).toContain('physical address 0x00912345 (4 MiB page)');
    expect(out).toContain('PDE index 768 (0x300) at 0x001f2c00 = 0x000001e3  [P RW A D PS G]');
  });

  it('translates addresses given with --translate, and prints JSON', async () => {
    const path = file('{"mappings": [{"address": "0x08048000", "pages": 1, "permissions": "rw-u"}]}');
    const text = await run('mmu', path, '--translate', '0x08048ffc:write,0x0804a000:read:kernel');
    expect(text.status).toBe(0);
    expect(text.out).toMatch(
      /translate 0x08048ffc \(write, user\)\n.*\n {2}PTE index 72 \(0x048\) at 0x[0-9a-f]{8} = 0x[0-9a-f]{5}047 {2}\[P RW US D\]/,
    );
    expect(text.out).toContain('page fault: error code 0x0 (not-present, read, kernel)');
    const json = await run('mmu', path, '--translate', '0x08048000', '--json');
    const parsed = JSON.parse(json.out) as { translations: { paddr: number; errorCodeText: string | null }[] };
    expect(parsed.translations).toHaveLength(1);
    expect(parsed.translations[0]?.errorCodeText).toBeNull();
    expect(parsed.translations[0]?.paddr).toBeGreaterThan(0);
  });

  it.each([
    ['{\n  "mappings": [\n    { "address": 1 },\n  ]\n}', /d\d+\.json:4:3: bad JSON: unexpected "\]"$/],
    ['{"mappings": [}', /d\d+\.json:1:15: bad JSON: unexpected "}"$/],
    ['{"mappings": []', /d\d+\.json:1:16: bad JSON: expected ',' or '}'$/],
    ['{"mappings": [], "colour": 1}', /: colour: unknown field \(expected one of: memory, mappings, translate\)$/],
    ['{"mappings": [{"address": "0x1000", "pages": 1, "permissions": "rw-u", "perms": 1}]}', /: mappings\[0\]\.perms: unknown field/],
    [
      '{"mappings": [{"address": "0x08048001", "pages": 1, "permissions": "rw-u"}]}',
      /: mappings\[0\]\.address: 0x08048001 is not aligned to the 4 KiB page size$/,
    ],
    [
      '{"mappings": [{"address": "0x08000000", "pages": 1, "pageSize": "4M", "permissions": "rw-u", "physical": "0x00100000"}]}',
      /mappings\[0\]\.physical: 0x00100000 is not aligned to the 4 MiB/,
    ],
    [
      '{"mappings": [{"address": "0x08048000", "pages": 4, "permissions": "rw-u"}, {"address": "0x0804a000", "pages": 1, "permissions": "r--u"}]}',
      /: mappings\[1\]: 0x0804a000-0x0804b000 overlaps mappings\[0\] \(0x08048000-0x0804c000\)$/,
    ],
    [
      '{"mappings": [{"address": "0xbffff000", "pages": 2, "permissions": "rw-u"}]}',
      /mappings\[0\]\.address: .* reaches into the kernel half/,
    ],
    [
      '{"mappings": [{"address": "0x08048000", "pages": 1, "permissions": "rwz"}]}',
      /mappings\[0\]\.permissions: permissions "rwz" must be 4 characters/,
    ],
    [
      '{"mappings": [{"address": "0x08048000", "size": 4096, "pages": 1, "permissions": "rw-u"}]}',
      /mappings\[0\]: give exactly one of "size" \(bytes\) or "pages"/,
    ],
    [
      '{"mappings": [{"address": "0x08048000", "pages": 1, "permissions": "rw-u", "physical": "0x04000000"}]}',
      /is past the end of memory \(64 MiB\)/,
    ],
    [
      '{"memory": "4M", "mappings": [{"address": "0x08000000", "pages": 2048, "permissions": "rw-u"}]}',
      /need 2048 page frames but only \d+ are free/,
    ],
    ['{"mappings": [{"address": "0x1000", "pages": 1, "permissions": "rw-u"}]}', /mappings\[0\]: .*below mmap_min_addr/],
    ['{"mappings": [], "translate": [{"address": "0x1000", "access": "jump"}]}', /translate\[0\]\.access: "jump" must be/],
  ])('rejects %s with one line naming the field', async (content, message) => {
    const { status, out, err } = await run('mmu', file(content));
    expect(status).toBe(1);
    expect(out).toBe('');
    expect(err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(err.trimEnd()).toMatch(/^ossim: /);
    expect(err.trimEnd()).toMatch(message);
  });

  it('rejects a bad --translate item and a missing file', async () => {
    const path = file('{"mappings": []}');
    expect(await run('mmu', path, '--translate', '0x1000:fly')).toMatchObject({
      status: 2,
      err: expect.stringMatching(/--translate: 0x1000:fly: access "fly"/),
    });
    expect(await run('mmu', join(dir, 'missing.json'))).toMatchObject({
      status: 1,
      err: expect.stringMatching(/missing\.json: cannot read: ENOENT/),
    });
  });
});
