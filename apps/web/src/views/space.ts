import { h, hex } from '../dom.ts';
import type { Snapshot, SpaceRegion, SpaceView, WalkView } from '../protocol.ts';
import { OKABE_ITO } from './palette.ts';

const COLOURS: Record<SpaceRegion['kind'], string> = {
  'user-text': OKABE_ITO.blue,
  'user-stack': OKABE_ITO.green,
  'kernel-text': OKABE_ITO.purple,
  'direct-map': OKABE_ITO.sky,
  vmalloc: OKABE_ITO.yellow,
  'kernel-stack': OKABE_ITO.vermillion,
  guard: OKABE_ITO.grey,
};

const GiB = 2 ** 30;
const H = 360;
/** The y of an address: 4 GiB from the bottom (0) to the top. */
const yOf = (a: number): number => H - (a / (4 * GiB)) * H;

const svgNs = 'http://www.w3.org/2000/svg';
function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** The seeds' diagram of one address space: a 4 GiB bar, user half below, kernel half above. */
function diagram(space: SpaceView, onWalk: (vaddr: number) => void): SVGSVGElement {
  const root = svg('svg', {
    viewBox: `0 0 220 ${H + 10}`,
    width: 220,
    height: H + 10,
    role: 'img',
    'aria-label': `address space of pid ${space.pid}`,
  });
  root.append(
    svg('rect', { x: 40, y: yOf(4 * GiB), width: 60, height: yOf(3 * GiB) - yOf(4 * GiB), fill: '#eee', stroke: '#000' }),
    svg('rect', { x: 40, y: yOf(3 * GiB), width: 60, height: yOf(0) - yOf(3 * GiB), fill: '#fff', stroke: '#000' }),
    svg('text', { x: 2, y: yOf(3 * GiB) + 4, 'font-size': 9 }, '3 GiB'),
    svg('text', { x: 2, y: yOf(0), 'font-size': 9 }, '0'),
    svg('text', { x: 2, y: yOf(4 * GiB) + 8, 'font-size': 9 }, '4 GiB'),
    svg('text', { x: 104, y: yOf(3.5 * GiB), 'font-size': 10 }, 'kernel half'),
    svg('text', { x: 104, y: yOf(3.5 * GiB) + 12, 'font-size': 9 }, 'PDEs 768–1023'),
    svg('text', { x: 104, y: yOf(1.5 * GiB), 'font-size': 10 }, 'user half'),
  );
  const all = [...space.user, ...space.kernel];
  for (const r of all) {
    const y1 = yOf(r.high);
    const y0 = yOf(r.low);
    const rect = svg(
      'rect',
      {
        x: r.kind === 'kernel-stack' || r.kind === 'user-stack' ? 70 : 42,
        y: y1,
        width: r.kind === 'kernel-stack' || r.kind === 'user-stack' ? 28 : 26,
        height: Math.max(2, y0 - y1),
        fill: COLOURS[r.kind],
        class: 'region',
      },
      svg('title', {}, `${r.label}: ${hex(r.low)}–${hex(r.high - 1)} (click: page-table walk)`),
    );
    rect.addEventListener('click', () => onWalk(r.kind === 'kernel-stack' || r.kind === 'user-stack' ? r.high - 4 : r.low));
    root.append(rect);
  }
  return root;
}

/** Where walks are shown: kept across re-renders, so the cursor moving does not erase the last walk. */
let walkOut: HTMLElement | null = null;

/** The address-space tab: per process, the diagram and its regions as a table; a click walks the page tables. */
export function renderSpaces(panel: HTMLElement, s: Snapshot, walk: (pid: number, vaddr: number) => Promise<WalkView>): void {
  walkOut ??= h(
    'div',
    { class: 'walk', 'aria-live': 'polite', 'data-testid': 'walk' },
    'Click a region (or its "walk" button) to see the page-table walk of its address.',
  );
  const out = walkOut;
  const doWalk = (pid: number, vaddr: number): void => {
    out.textContent = `walking ${hex(vaddr)} in pid ${pid}…`;
    walk(pid, vaddr).then(
      (w) => out.replaceChildren(h('h4', {}, `page-table walk of ${hex(w.vaddr)} (pid ${pid})`), h('pre', {}, w.lines.join('\n'))),
      (e: Error) => {
        out.textContent = e.message;
      },
    );
  };
  const addr = h('input', { type: 'text', id: 'walk-addr', placeholder: '0xc0000000', size: 12, 'aria-label': 'virtual address to walk' });
  const pidSel = h(
    'select',
    { 'aria-label': 'process whose page tables to walk' },
    ...s.spaces.map((sp) => h('option', { value: sp.pid }, `pid ${sp.pid} ${sp.comm}`)),
  );
  const form = h(
    'form',
    { class: 'walk-form' },
    h('label', {}, 'Walk an address: ', addr),
    ' in ',
    pidSel,
    ' ',
    h('button', { type: 'submit' }, 'walk this address'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = Number.parseInt(addr.value.replace(/^0x/i, ''), 16);
    if (Number.isNaN(v) || v < 0 || v > 0xffffffff) out.textContent = `not an address: ${addr.value}`;
    else doWalk(Number(pidSel.value), v);
  });
  const cards = s.spaces.map((sp) => {
    const table = h(
      'table',
      { class: 'regions' },
      h('caption', {}, `pid ${sp.pid} (${sp.comm}): regions`),
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'half'),
        h('th', { scope: 'col' }, 'range'),
        h('th', { scope: 'col' }, 'what'),
        h('th', { scope: 'col' }, ''),
      ),
      ...[...sp.user.map((r) => ['user', r] as const), ...sp.kernel.map((r) => ['kernel', r] as const)].map(([half, r]) =>
        h(
          'tr',
          {},
          h('td', {}, half),
          h('td', {}, `${hex(r.low)}–${hex(r.high - 1)}`),
          h('td', {}, h('span', { class: 'swatch', style: `background:${COLOURS[r.kind]}` }), r.label),
          h(
            'td',
            {},
            h('button', { type: 'button', onclick: () => doWalk(sp.pid, r.kind.endsWith('stack') ? r.high - 4 : r.low) }, 'walk'),
          ),
        ),
      ),
    );
    return h(
      'section',
      { class: 'space' },
      h('h3', {}, `pid ${sp.pid} ${sp.comm}`),
      h(
        'p',
        {},
        sp.pgd === null
          ? 'a kernel thread: no mm of its own; it runs on the previous task’s page tables (active_mm)'
          : `page directory (CR3) at ${hex(sp.pgd)}; threads ${sp.threads.join(', ')}; kernel PDEs 768–1023: ${sp.kernelPdes?.present ?? 0} present, ${sp.kernelPdes?.sameAsSwapper ?? 0} of 256 identical to swapper_pg_dir (the kernel half is shared)`,
      ),
      h(
        'div',
        { class: 'space-row' },
        diagram(sp, (v) => doWalk(sp.pid, v)),
        table,
      ),
    );
  });
  panel.replaceChildren(
    h(
      'p',
      {},
      `Every process's 4 GiB: user half 0x00000000–0xbfffffff, kernel half 0xc0000000–0xffffffff (the same kernel page tables in every page directory, so every thread's kernel stack is there in every process). KernelStack: ${s.kernelStackKb} kB.`,
    ),
    form,
    out,
    ...cards,
  );
}
