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

/** Runs of this many free zero words (or unmapped words) or more fold into one row. */
const FOLD = 4;
/** Runs of this many free words holding stale values or more fold into one row (shorter runs stay, they are worth reading). */
const FOLD_STALE = 16;

/** A stack as a table of memory, highest address first: address, value, what it is, markers. */
export function stackTable(p: StackPicture, label: string): HTMLElement {
  // Rows as one HTML string: a 16 KiB stack is 4096 words, and this redraws while playing.
  const rows: string[] = [];
  const guardRow = (g: { low: number; high: number }, where: string): string =>
    `<tr class="k-guard"><td>${hex(g.low)}–${hex(g.high)}</td><td>unmapped</td><td class="kind">guard page</td><td colspan="2">guard page ${where}: an access here faults (a vmapped stack's overflow is caught)</td></tr>`;
  if (p.guardAbove) rows.push(guardRow(p.guardAbove, 'above the stack'));
  const words = p.words;
  // Runs of free words below SP (never used, or stale values of earlier calls), and of unmapped words
  // with the same explanation, fold into one row each: a 16 KiB stack is 4,096 rows otherwise.
  const foldKey = (w: MemWord): string | null =>
    w.markers.length > 0 ? null : w.kind === 'free' ? 'free' : w.kind === 'guard' && w.value === null ? `guard:${w.what}` : null;
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i] as MemWord;
    const key = foldKey(w);
    if (key !== null) {
      let j = i;
      let zeros = true;
      while (j >= 0 && foldKey(words[j] as MemWord) === key) {
        if ((words[j] as MemWord).value !== 0) zeros = false;
        j--;
      }
      const n = i - j;
      if (n >= (key !== 'free' || zeros ? FOLD : FOLD_STALE)) {
        const range = `${hex((words[j + 1] as MemWord).address)}–${hex(w.address + 3)}`;
        rows.push(
          key !== 'free'
            ? `<tr class="k-guard fold"><td>${range}</td><td>unmapped</td><td class="kind">${KIND_TEXT.guard}</td><td colspan="2">${n} words: ${esc(w.what)}</td></tr>`
            : zeros
              ? `<tr class="k-free fold"><td>${range}</td><td>0x00000000</td><td class="kind">free</td><td colspan="2">${n} zero words, never used (below SP)</td></tr>`
              : `<tr class="k-free fold"><td>${range}</td><td>…</td><td class="kind">free</td><td colspan="2">${n} words below SP, not in use: stale values of earlier calls</td></tr>`,
        );
        i = j + 1;
        continue;
      }
    }
    const what = w.symbol === null || w.kind === 'overwritten' ? w.what : `${w.what.replace(/ -> .*$/, '')}: ${w.symbol}`;
    rows.push(
      `<tr class="k-${w.kind}${w.markers.length > 0 ? ' marked' : ''}"><td>${hex(w.address)}</td><td>${w.value === null ? 'unmapped' : hex(w.value)}</td><td class="kind">${KIND_TEXT[w.kind]}</td><td>${esc(what)}</td><td class="markers">${esc(w.markers.map((m) => `◀ ${m}`).join(' '))}</td></tr>`,
    );
  }
  if (p.guardBelow) rows.push(guardRow(p.guardBelow, 'below the stack'));
  const tbody = h('tbody');
  tbody.innerHTML = rows.join('');
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
        tbody,
      ),
    ),
  );
}

const esc = (t: string): string => t.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));

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
