import { h, hex } from '../dom.ts';
import type { MemWord, Snapshot, StackPicture } from '../protocol.ts';

const KIND_TEXT: Record<MemWord['kind'], string> = {
  ret: 'return address',
  regs: 'pt_regs',
  trap: 'trap frame',
  'thread-info': 'thread_info',
  magic: 'magic',
  free: 'free',
  guard: 'guard / unmapped',
  data: 'frame data',
  switch: 'switch frame',
  overwritten: 'OVERWRITTEN',
};

/** Runs of this many free zero words or more fold into one row. */
const FOLD = 4;

/** A stack as a table of memory, highest address first: address, value, what it is, markers. */
export function stackTable(p: StackPicture, label: string): HTMLElement {
  const rows: HTMLElement[] = [];
  const guardRow = (g: { low: number; high: number }, where: string): HTMLElement =>
    h(
      'tr',
      { class: 'k-guard' },
      h('td', {}, `${hex(g.low)}–${hex(g.high)}`),
      h('td', {}, 'unmapped'),
      h('td', { class: 'kind' }, 'guard page'),
      h('td', { colspan: 2 }, `guard page ${where}: an access here faults (a vmapped stack's overflow is caught)`),
    );
  if (p.guardAbove) rows.push(guardRow(p.guardAbove, 'above the stack'));
  const words = [...p.words].reverse();
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as MemWord;
    if (w.kind === 'free' && w.value === 0 && w.markers.length === 0) {
      let j = i;
      while (
        j < words.length &&
        (words[j] as MemWord).kind === 'free' &&
        (words[j] as MemWord).value === 0 &&
        (words[j] as MemWord).markers.length === 0
      )
        j++;
      if (j - i >= FOLD) {
        rows.push(
          h(
            'tr',
            { class: 'k-free fold' },
            h('td', {}, `${hex((words[j - 1] as MemWord).address)}–${hex(w.address + 3)}`),
            h('td', {}, '0x00000000'),
            h('td', { class: 'kind' }, 'free'),
            h('td', { colspan: 2 }, `${j - i} zero words, never used (below SP)`),
          ),
        );
        i = j - 1;
        continue;
      }
    }
    rows.push(
      h(
        'tr',
        { class: `k-${w.kind}${w.markers.length > 0 ? ' marked' : ''}`, 'data-address': hex(w.address) },
        h('td', {}, hex(w.address)),
        h('td', {}, w.value === null ? 'unmapped' : hex(w.value)),
        h('td', { class: 'kind' }, KIND_TEXT[w.kind]),
        h('td', {}, w.symbol === null || w.kind === 'overwritten' ? w.what : `${w.what.replace(/ -> .*$/, '')}: ${w.symbol}`),
        h('td', { class: 'markers' }, w.markers.map((m) => `◀ ${m}`).join(' ')),
      ),
    );
  }
  if (p.guardBelow) rows.push(guardRow(p.guardBelow, 'below the stack'));
  return h(
    'figure',
    { class: 'stack' },
    h('figcaption', {}, h('strong', {}, label), ' ', p.title),
    h('ul', { class: 'notes' }, ...p.notes.map((n) => h('li', {}, n))),
    h(
      'div',
      { class: 'stack-scroll', tabindex: 0, role: 'region', 'aria-label': `${label}: ${p.title}` },
      h(
        'table',
        { class: 'mem' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'address'),
            h('th', { scope: 'col' }, 'value'),
            h('th', { scope: 'col' }, 'kind'),
            h('th', { scope: 'col' }, 'what'),
            h('th', { scope: 'col' }, 'markers'),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}

/** The stacks tab: the selected thread's kernel and user stacks at the cursor, the CPUs, /proc stack. */
export function renderStacks(panel: HTMLElement, s: Snapshot, wanted: number | null): void {
  const parts: HTMLElement[] = [];
  if (s.oops !== null) parts.push(h('p', { class: 'oops', role: 'status' }, `kernel oops at ${s.oops}`));
  parts.push(
    h(
      'div',
      { class: 'cpus' },
      ...s.cpus.map((c) =>
        h(
          'p',
          {},
          h('strong', {}, `CPU ${c.cpu}`),
          ` runs tid ${c.current}, ${c.mode} mode, PC ${c.pc}${c.next === '' ? '' : ` (next: ${c.next})`}, SP ${hex(c.sp)}`,
        ),
      ),
    ),
  );
  if (s.executed.length > 0)
    parts.push(
      h(
        'details',
        { open: true, class: 'executed' },
        h('summary', {}, `${s.insns} instruction(s) executed after seq ${s.seq}`),
        h('pre', {}, s.executed.join('\n')),
      ),
    );
  if (s.tid === null) {
    parts.push(
      h(
        'p',
        { class: 'no-thread' },
        wanted === null
          ? 'Pick a thread above to see its stacks.'
          : `tid ${wanted} does not exist at seq ${s.seq} (not created yet, or reaped): pick another thread above.`,
      ),
    );
    panel.replaceChildren(...parts);
    return;
  }
  const cols = h('div', { class: 'stack-cols' });
  cols.append(
    s.kernelStack === null
      ? h('p', {}, `tid ${s.tid} has no kernel stack now (it exited and its stack was released).`)
      : stackTable(s.kernelStack, 'Kernel stack'),
  );
  if (s.otherStack !== null) cols.append(stackTable(s.otherStack, 'Where SP is now'));
  cols.append(
    s.userStack === null ? h('p', {}, `tid ${s.tid} has no user stack (a kernel thread).`) : stackTable(s.userStack, 'User stack'),
  );
  parts.push(cols);
  const pid = s.tasks.find((t) => t.tid === s.tid)?.pid ?? s.tid;
  parts.push(
    h('h3', {}, `/proc/${pid}/task/${s.tid}/stack`),
    h('pre', { class: 'proc-stack', 'data-testid': 'proc-stack' }, s.procStack || '(empty)'),
  );
  panel.replaceChildren(...parts);
}
