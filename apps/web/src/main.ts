import { defineOs, isPresetName, type OsVariant, PRESETS, RUN_COUNTER_ROWS, showRunCounter } from '@ossim/kernel';
import { createClient, WorkerError } from './client.ts';
import { byId, formatNs, h } from './dom.ts';
import { timed, work } from './perf.ts';
import type { EventQuery, EventRow, IndexColumns, Moment, RunCounters, SessionInfo, Snapshot, Source } from './protocol.ts';
import { SCENARIO_TITLES, SCENARIOS, type ScenarioName, scenarioRuns } from './scenarios.ts';
import { type StepUnit, step } from './state/cursor.ts';
import { formatUrlState, parseUrlState, type UrlState, VIEWS, type ViewName } from './state/url.ts';
import { renderSpaces } from './views/space.ts';
import { renderStacks } from './views/stacks.ts';
import { createTimeline } from './views/timeline.ts';
import { createVariantForm } from './views/variantForm.ts';

/** What the page knows; the worker holds the run. */
interface PageState {
  url: UrlState;
  /** 'scenario' or the name of the opened file (not in the URL: files stay on this machine). */
  source: { kind: 'scenario' } | { kind: 'file'; name: string };
  info: SessionInfo | null;
  index: IndexColumns | null;
  cursor: Moment;
  tid: number | null;
  snapshot: Snapshot | null;
  playing: boolean;
  /** A variant from the form, when it differs from the run's. */
  customOs: OsVariant | null;
}

const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' });
const status = byId('status');
const errorBox = byId('error');
const client = createClient(worker, (events, phase) => {
  if (phase === 'ready') {
    document.body.dataset.ready = 'true';
    return;
  }
  status.textContent = `${phase === 'read' ? 'reading' : 'running'}: ${events.toLocaleString('en')} events…`;
});

const state: PageState = {
  url: parseUrlState(location.search),
  source: { kind: 'scenario' },
  info: null,
  index: null,
  cursor: { seq: 0, insns: 0 },
  tid: null,
  snapshot: null,
  playing: false,
  customOs: null,
};

// ---- source controls
const scenarioSel = byId<HTMLSelectElement>('scenario');
const runSel = byId<HTMLSelectElement>('run');
const osSel = byId<HTMLSelectElement>('os-choice');
const variantBox = byId<HTMLDetailsElement>('variant-box');
for (const s of SCENARIOS) scenarioSel.append(h('option', { value: s }, s));
osSel.append(
  h('option', { value: '' }, 'the run’s own'),
  ...Object.keys(PRESETS).map((p) => h('option', { value: p }, `preset ${p}`)),
  h('option', { value: 'custom' }, 'custom (the form)'),
);
const form = createVariantForm((v) => {
  state.customOs = v;
  byId<HTMLButtonElement>('run-button').disabled = osSel.value === 'custom' && v === null;
});
byId('variant-form').append(form.root);

function fillRuns(): void {
  const runs = scenarioRuns(scenarioSel.value as ScenarioName);
  runSel.replaceChildren(...runs.map((r, i) => h('option', { value: i }, r.label)));
  byId('scenario-title').textContent = SCENARIO_TITLES[scenarioSel.value as ScenarioName];
}
function baseVariant(): OsVariant {
  const runs = scenarioRuns(scenarioSel.value as ScenarioName);
  return (runs[Number(runSel.value)] ?? runs[0])?.os ?? PRESETS.i386;
}
scenarioSel.addEventListener('change', () => {
  fillRuns();
  if (osSel.value !== 'custom') form.set(baseVariant());
});
runSel.addEventListener('change', () => {
  if (osSel.value !== 'custom') form.set(baseVariant());
});
osSel.addEventListener('change', () => {
  if (osSel.value === 'custom') variantBox.open = true;
  else form.set(osSel.value === '' ? baseVariant() : (PRESETS[osSel.value as keyof typeof PRESETS] ?? baseVariant()));
});
variantBox.addEventListener('toggle', () => {
  if (variantBox.open && osSel.value !== 'custom') osSel.value = 'custom';
});

function chosenOs(): { os: OsVariant | null; url: UrlState['os'] } {
  if (osSel.value === '') return { os: null, url: null };
  if (osSel.value === 'custom') return { os: form.validate(), url: form.input() };
  return { os: PRESETS[osSel.value as keyof typeof PRESETS] ?? null, url: osSel.value };
}

byId('run-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const { os, url } = chosenOs();
  if (osSel.value === 'custom' && os === null) return;
  state.url = { ...state.url, scenario: scenarioSel.value, run: Number(runSel.value), os: url, seq: 0, insns: 0, tid: null };
  void load({ kind: 'scenario', scenario: scenarioSel.value, run: Number(runSel.value), os }, { kind: 'scenario' }, null);
});

// ---- files
async function openFile(file: File): Promise<void> {
  const bytes = await file.arrayBuffer();
  const { os } = chosenOs();
  void load({ kind: 'strace', name: file.name, bytes, os }, { kind: 'file', name: file.name }, null, [bytes]);
}
byId<HTMLInputElement>('file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f !== undefined) void openFile(f);
});
const drop = byId('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f !== undefined) void openFile(f);
});

// ---- loading
let loadToken = 0;
async function load(source: Source, kind: PageState['source'], at: Moment | null, transfer: Transferable[] = []): Promise<void> {
  const token = ++loadToken;
  stop();
  errorBox.textContent = '';
  delete document.body.dataset.ready;
  delete document.body.dataset.loaded;
  status.textContent = 'starting…';
  try {
    // A file may be a recording or a strace log: the worker decides by its content.
    const r = await client.request<'load'>({ type: 'load', source }, transfer);
    if (token !== loadToken) return;
    state.source = kind;
    state.info = r.session;
    state.index = r.index;
    const i = r.session;
    status.textContent = `${i.label}: ${i.events.toLocaleString('en')} events, ${formatNs(i.endNs)} simulated, outcome ${i.outcome}${i.cause === null ? '' : ` (${i.cause})`}; loaded in ${i.loadMs} ms${
      i.tidMap === null
        ? ''
        : `; tids (log -> run): ${Object.entries(i.tidMap)
            .map(([a, b]) => `${a}->${b}`)
            .join(' ')}`
    }`;
    timeline.setData(r.timeline, r.index);
    const scrub = byId<HTMLInputElement>('scrub');
    scrub.max = String(i.events);
    byId<HTMLInputElement>('seq').max = String(i.events);
    document.body.dataset.loaded = 'true';
    document.body.dataset.events = String(i.events);
    const target =
      at ??
      (state.url.seq > 0 && kind.kind === 'scenario'
        ? { seq: Math.min(state.url.seq, i.events), insns: state.url.insns }
        : { seq: i.events, insns: 0 });
    state.tid = kind.kind === 'scenario' ? state.url.tid : null;
    moveTo(target);
    if (state.url.view === 'compare') renderCompareForm();
  } catch (e) {
    if (token !== loadToken) return;
    status.textContent = '';
    errorBox.textContent = e instanceof WorkerError || e instanceof Error ? e.message : String(e);
    document.body.dataset.loaded = 'error';
  }
}

// ---- cursor
const timeline = createTimeline({ onPick: (seq) => moveTo({ seq, insns: 0 }) });
byId('timeline-section').append(timeline.root);
const where = byId('where');
const scrub = byId<HTMLInputElement>('scrub');
const seqInput = byId<HTMLInputElement>('seq');
const threadSel = byId<HTMLSelectElement>('thread');

scrub.addEventListener('input', () => moveTo({ seq: Number(scrub.value), insns: 0 }));
seqInput.addEventListener('change', () =>
  moveTo({ seq: Math.max(0, Math.min(Number(seqInput.value) || 0, state.info?.events ?? 0)), insns: 0 }),
);
threadSel.addEventListener('change', () => {
  state.tid = threadSel.value === '' ? null : Number(threadSel.value);
  requestSnapshot();
  writeUrl();
});

let urlTimer = 0;
function writeUrl(): void {
  // Until the run is loaded the cursor is not the URL's yet.
  if (state.source.kind !== 'scenario' || state.info === null) return;
  window.clearTimeout(urlTimer);
  urlTimer = window.setTimeout(
    () => {
      state.url = { ...state.url, seq: state.cursor.seq, insns: state.cursor.insns, tid: state.tid, view: state.url.view };
      history.replaceState(null, '', formatUrlState(state.url));
    },
    state.playing ? 500 : 50,
  );
}

function moveTo(m: Moment, fromPlay = false): void {
  if (state.index === null) return;
  const last = state.index.types.length;
  state.cursor = { seq: Math.max(0, Math.min(last, m.seq)), insns: Math.max(0, m.insns) };
  const t = state.cursor.seq === 0 ? 0 : (state.index.times[state.cursor.seq - 1] ?? 0);
  scrub.value = String(state.cursor.seq);
  seqInput.value = String(state.cursor.seq);
  const type =
    state.cursor.seq === 0 ? 'before the first event' : (state.index.typeNames[state.index.types[state.cursor.seq - 1] as number] ?? '');
  where.textContent = `seq ${state.cursor.seq} of ${last}${state.cursor.insns > 0 ? ` + ${state.cursor.insns} instruction(s)` : ''} · ${formatNs(t)} · ${type}`;
  timeline.setCursor(state.cursor.seq, !fromPlay);
  document.body.dataset.seq = String(state.cursor.seq);
  requestSnapshot();
  writeUrl();
}

function stepBy(unit: StepUnit, dir: 1 | -1): void {
  if (state.index === null) return;
  stop();
  moveTo(step(state.index, state.cursor, unit, dir));
}
for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-step]')) {
  b.addEventListener('click', () => stepBy(b.dataset.step as StepUnit, Number(b.dataset.dir) as 1 | -1));
}
byId('to-start').addEventListener('click', () => {
  stop();
  moveTo({ seq: 1, insns: 0 });
});
byId('to-end').addEventListener('click', () => {
  stop();
  moveTo({ seq: state.info?.events ?? 0, insns: 0 });
});

// ---- snapshots: one request in flight; the newest cursor wins.
let inflight = false;
let lastRender = 0;
/** How long each render of the views took, ms (for the bench). */
const renderTimes: number[] = [];
let again = false;
function requestSnapshot(): void {
  if (state.info === null) return;
  if (inflight) {
    again = true;
    return;
  }
  inflight = true;
  again = false;
  const moment = state.cursor;
  const t0 = performance.now();
  client
    .request<'at'>({ type: 'at', moment, tid: state.tid, window: 41 })
    .then(
      (r) => {
        document.body.dataset.snapshotMs = String(Math.round(performance.now() - t0));
        document.body.dataset.seekMs = String(r.snapshot.timing.seekMs);
        document.body.dataset.viewsMs = String(r.snapshot.timing.viewsMs);
        document.body.dataset.fromSeq = String(r.snapshot.timing.fromSeq);
        state.snapshot = r.snapshot;
        // While playing, the views (big tables) redraw four times a second; the timeline's cursor every frame.
        const now = performance.now();
        if (!state.playing || now - lastRender > 400) {
          lastRender = now;
          timed(render);
          renderTimes.push(performance.now() - now);
          document.body.dataset.renderMs = String(Math.round(performance.now() - now));
        }
        document.body.dataset.shown = `${r.snapshot.seq}:${r.snapshot.insns}:${r.snapshot.tid ?? ''}`;
      },
      (e: Error) => {
        if (e.message !== 'superseded') errorBox.textContent = e.message;
      },
    )
    .finally(() => {
      inflight = false;
      if (again) requestSnapshot();
    });
}

// ---- playing
let raf = 0;
function stop(): void {
  if (!state.playing) return;
  state.playing = false;
  cancelAnimationFrame(raf);
  where.setAttribute('aria-live', 'polite');
  const b = byId('play');
  b.textContent = '▶ play';
  b.setAttribute('aria-pressed', 'false');
  timeline.setCursor(state.cursor.seq);
  writeUrl();
  requestSnapshot();
}
function play(): void {
  if (state.index === null || state.playing) return;
  if (state.cursor.seq >= state.index.types.length) moveTo({ seq: 0, insns: 0 });
  state.playing = true;
  // Not announced every frame while playing; again once paused.
  where.setAttribute('aria-live', 'off');
  const b = byId('play');
  b.textContent = '⏸ pause';
  b.setAttribute('aria-pressed', 'true');
  const frame = (): void => timed(advanceFrame);
  const advanceFrame = (): void => {
    if (!state.playing || state.index === null) return;
    const speed = Number(byId<HTMLSelectElement>('speed').value) || 10;
    const next = Math.min(state.index.types.length, state.cursor.seq + speed);
    moveTo({ seq: next, insns: 0 }, true);
    if (next >= state.index.types.length) {
      stop();
      return;
    }
    raf = requestAnimationFrame(frame);
  };
  raf = requestAnimationFrame(frame);
}
byId('play').addEventListener('click', () => (state.playing ? stop() : play()));

// Frame figures, for the bench: per animation frame while playing, the page's own main-thread
// work (web.frame_ms_playing) and the interval between frames.
const frames: number[] = [];
const intervals: number[] = [];
let lastFrame = 0;
const tick = (t: number): void => {
  if (lastFrame !== 0 && state.playing) {
    frames.push(work.ms);
    intervals.push(t - lastFrame);
  }
  work.ms = 0;
  lastFrame = t;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
(globalThis as unknown as { __ossim: unknown }).__ossim = {
  frames,
  intervals,
  renderTimes,
  play,
  stop,
  moveTo: (seq: number) => moveTo({ seq, insns: 0 }),
  get state() {
    return { seq: state.cursor.seq, shown: state.snapshot?.seq ?? -1, events: state.info?.events ?? 0, playing: state.playing };
  },
};

// ---- keyboard
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (t.closest('input, select, textarea, [contenteditable]') !== null && !(t instanceof HTMLInputElement && t.type === 'range')) return;
  // On the scrub bar the arrows and Home/End move the bar itself (its input event moves the cursor).
  if (t instanceof HTMLInputElement && t.type === 'range' && /^(Arrow|Home|End|Page)/.test(e.key)) return;
  if (e.ctrlKey || e.metaKey) return;
  const dir = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
  if (t.getAttribute('role') === 'tab' && dir !== 0) return;
  if (dir !== 0) stepBy(e.shiftKey ? 'syscall' : 'event', dir);
  else if (e.key === ']') stepBy('switch', 1);
  else if (e.key === '[') stepBy('switch', -1);
  else if (e.key === '.') stepBy('instruction', 1);
  else if (e.key === ',') stepBy('instruction', -1);
  else if (e.key === ' ' && t.tagName !== 'BUTTON') {
    if (state.playing) stop();
    else play();
  } else if (e.key === 'Home' || e.key === 'End') {
    stop();
    moveTo({ seq: e.key === 'Home' ? 1 : (state.info?.events ?? 0), insns: 0 });
  } else if (['1', '2', '3', '4'].includes(e.key)) selectTab(VIEWS[Number(e.key) - 1] as ViewName, true);
  else return;
  e.preventDefault();
});

// ---- tabs
const view = (): ViewName => state.url.view;
function selectTab(name: ViewName, focus = false): void {
  state.url = { ...state.url, view: name };
  for (const v of VIEWS) {
    const tab = byId(`tab-${v}`);
    const on = v === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    byId(`panel-${v}`).hidden = !on;
    if (on && focus) tab.focus();
  }
  render();
  if (name === 'compare') renderCompareForm();
  writeUrl();
}
for (const v of VIEWS) byId(`tab-${v}`).addEventListener('click', () => selectTab(v));
byId('tabs').addEventListener('keydown', (e) => {
  const i = VIEWS.indexOf(view());
  if (e.key === 'ArrowRight') selectTab(VIEWS[(i + 1) % VIEWS.length] as ViewName, true);
  else if (e.key === 'ArrowLeft') selectTab(VIEWS[(i + VIEWS.length - 1) % VIEWS.length] as ViewName, true);
  else return;
  e.preventDefault();
  e.stopPropagation();
});

// ---- rendering the views from the snapshot
function render(): void {
  const s = state.snapshot;
  if (s === null) return;
  // The thread picker follows the tasks at the cursor.
  const opts = s.tasks.map((t) =>
    h(
      'option',
      { value: t.tid, selected: t.tid === s.tid },
      `${t.tid} ${t.comm} (pid ${t.pid}, ${t.state}${t.onCpu === null ? '' : `, on CPU ${t.onCpu}`})`,
    ),
  );
  threadSel.replaceChildren(...opts);
  threadSel.value = s.tid === null ? '' : String(s.tid);
  // The worker picked a thread when none was asked for.
  if (state.tid === null && s.tid !== null) {
    state.tid = s.tid;
    writeUrl();
  }
  switch (view()) {
    case 'stacks':
      renderStacks(byId('panel-stacks'), s, state.tid);
      break;
    case 'space':
      renderSpaces(byId('panel-space'), s, (pid, vaddr) =>
        client.request<'walk'>({ type: 'walk', seq: s.seq, pid, vaddr }).then((r) => r.walk),
      );
      break;
    case 'tasks':
      renderTasks(byId('panel-tasks'), s);
      break;
    case 'compare':
      break;
  }
}

// ---- tasks: ps -eLf, /proc stack, the event list
const query: { types: string; search: string } = { types: '', search: '' };
function eventTable(rows: readonly EventRow[], cursor: number): HTMLElement {
  return h(
    'table',
    { class: 'events', 'data-testid': 'events' },
    h('caption', {}, 'events (click one to move the cursor there)'),
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'seq'),
      h('th', { scope: 'col' }, 'time'),
      h('th', { scope: 'col' }, 'type'),
      h('th', { scope: 'col' }, 'event'),
    ),
    ...rows.map((r) =>
      h(
        'tr',
        { class: r.seq === cursor ? 'current' : '', 'aria-current': r.seq === cursor ? 'true' : null },
        h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => moveTo({ seq: r.seq, insns: 0 }) }, String(r.seq))),
        h('td', {}, formatNs(r.time)),
        h('td', {}, r.type),
        h('td', { class: 'json' }, r.text.replace(/^\{"seq":\d+,"time":\d+,"type":"[^"]+",?/, '{')),
      ),
    ),
  );
}
function currentQuery(): EventQuery {
  return { types: query.types === '' ? [] : query.types.split(','), search: query.search };
}
function renderTasks(panel: HTMLElement, s: Snapshot): void {
  const pid = s.tasks.find((t) => t.tid === s.tid)?.pid ?? s.tid;
  const typeSel = h(
    'select',
    { id: 'event-types', 'aria-label': 'event types' },
    ...[
      ['', 'all events'],
      ['sched.', 'sched.*'],
      ['syscall.', 'syscall.*'],
      ['cpu.', 'cpu.* (traps)'],
      ['task.', 'task.*'],
      ['kstack.', 'kstack.*'],
      ['mmu.', 'mmu.*'],
      ['kernel.', 'kernel.* (oops, panic, timers)'],
      ['disk.,nic.,timer.', 'devices and timers'],
    ].map(([v, l]) => h('option', { value: v as string, selected: v === query.types }, l as string)),
  );
  const search = h('input', {
    type: 'search',
    id: 'event-search',
    value: query.search,
    placeholder: 'search (e.g. "prevTid":3)',
    'aria-label': 'search events',
  });
  const list = h('div', { class: 'event-list' });
  const info = h('p', { 'aria-live': 'polite' });
  const filtered = (): boolean => query.types !== '' || query.search.trim() !== '';
  const show = (): void => {
    if (!filtered()) {
      list.replaceChildren(eventTable(s.events, s.seq));
      info.textContent = `${state.info?.events ?? 0} events; showing those around the cursor`;
      return;
    }
    client.request<'events'>({ type: 'events', from: Math.max(1, s.seq - 10), count: 41, query: currentQuery() }).then(
      (r) => {
        list.replaceChildren(eventTable(r.rows, s.seq));
        info.textContent = `${r.total} events match; showing ${r.rows.length} from seq ${r.first}`;
      },
      (e: Error) => (info.textContent = e.message),
    );
  };
  const jump = (dir: 1 | -1): void => {
    client.request<'events'>({ type: 'events', from: dir === 1 ? s.seq + 1 : s.seq, count: dir, query: currentQuery() }).then((r) => {
      const hit = r.rows[0];
      if (hit === undefined) info.textContent = `no match ${dir === 1 ? 'after' : 'before'} seq ${s.seq}`;
      else moveTo({ seq: hit.seq, insns: 0 });
    });
  };
  typeSel.addEventListener('change', () => {
    query.types = typeSel.value;
    show();
  });
  let timer = 0;
  search.addEventListener('input', () => {
    query.search = search.value;
    window.clearTimeout(timer);
    timer = window.setTimeout(show, 250);
  });
  panel.replaceChildren(
    h(
      'div',
      { class: 'task-cols' },
      h('section', {}, h('h3', {}, `ps -eLf at seq ${s.seq}`), h('pre', { 'data-testid': 'ps' }, s.ps)),
      h(
        'section',
        {},
        h('h3', {}, s.tid === null ? '/proc/PID/task/TID/stack' : `/proc/${pid}/task/${s.tid}/stack`),
        h('pre', { 'data-testid': 'tasks-proc-stack' }, s.procStack || '(empty)'),
      ),
    ),
    h('h3', {}, 'Event list'),
    h(
      'div',
      { class: 'row' },
      typeSel,
      search,
      h('button', { type: 'button', onclick: () => jump(-1) }, '◀ previous match'),
      h('button', { type: 'button', onclick: () => jump(1) }, 'next match ▶'),
    ),
    info,
    list,
  );
  show();
}

// ---- compare
function variantChoices(): { label: string; os: OsVariant }[] {
  const out: { label: string; os: OsVariant }[] = [];
  if (state.info !== null) out.push({ label: `this run's: ${state.info.os.name}`, os: state.info.os });
  if (state.source.kind === 'scenario')
    for (const r of scenarioRuns(state.url.scenario as ScenarioName)) out.push({ label: `scenario run: ${r.label}`, os: r.os });
  for (const [name, os] of Object.entries(PRESETS)) out.push({ label: `preset ${name}`, os });
  if (state.customOs !== null) out.push({ label: `the form's: ${state.customOs.name}`, os: state.customOs });
  return out;
}
function renderCompareForm(): void {
  const panel = byId('panel-compare');
  const choices = variantChoices();
  const sel = (id: string, pick: number): HTMLSelectElement =>
    h('select', { id }, ...choices.map((c, i) => h('option', { value: i, selected: i === pick }, c.label)));
  const other = choices.findIndex((c, i) => i > 0 && c.os.name !== choices[0]?.os.name);
  const a = sel('compare-a', 0);
  const b = sel('compare-b', Math.max(0, other));
  const out = h('div', { 'aria-live': 'polite', 'data-testid': 'compare' });
  const go = h('button', { type: 'button', id: 'compare-run' }, 'Compare');
  go.addEventListener('click', () => {
    const va = choices[Number(a.value)]?.os;
    const vb = choices[Number(b.value)]?.os;
    if (va === undefined || vb === undefined) return;
    out.textContent = 'running both…';
    client.request<'compare'>({ type: 'compare', a: va, b: vb }).then(
      (r) => out.replaceChildren(compareTable(r.runs)),
      (e: Error) => (out.textContent = e.message),
    );
  });
  panel.replaceChildren(
    h('p', {}, 'The same inputs (workload and seed) on two variants, each run to its end, side by side.'),
    h('div', { class: 'row' }, h('label', { for: 'compare-a' }, 'A '), a, h('label', { for: 'compare-b' }, ' B '), b, go),
    out,
  );
}
function compareTable(runs: readonly RunCounters[]): HTMLElement {
  // The kernel's rows, with the cause right after the outcome.
  const rows: [string, (r: RunCounters) => string][] = RUN_COUNTER_ROWS.map((row) => [row.label, (r) => showRunCounter(row, r, formatNs)]);
  rows.splice(1, 0, ['cause', (r) => r.cause ?? '-']);
  return h(
    'table',
    { class: 'compare' },
    h('caption', {}, 'the same inputs on two variants'),
    h('tr', {}, h('th', { scope: 'col' }, ''), ...runs.map((r, i) => h('th', { scope: 'col' }, `${i === 0 ? 'A' : 'B'}: ${r.os}`))),
    ...rows.map(([label, f]) => h('tr', {}, h('th', { scope: 'row' }, label), ...runs.map((r) => h('td', {}, f(r))))),
  );
}

// ---- start: the URL's scenario (or the default)
{
  const u = state.url;
  scenarioSel.value = u.scenario;
  fillRuns();
  runSel.value = String(Math.min(u.run, runSel.options.length - 1));
  let os: OsVariant | null = null;
  if (typeof u.os === 'string' && isPresetName(u.os)) {
    osSel.value = u.os;
    os = PRESETS[u.os];
    form.set(os);
  } else if (u.os !== null && typeof u.os === 'object') {
    osSel.value = 'custom';
    variantBox.open = true;
    try {
      form.set(defineOs(u.os));
    } catch {
      form.set({ ...PRESETS.i386, ...u.os } as OsVariant);
    }
    os = form.validate();
  } else form.set(baseVariant());
  selectTab(u.view);
  if (!(u.os !== null && os === null))
    void load({ kind: 'scenario', scenario: u.scenario, run: Number(runSel.value), os }, { kind: 'scenario' }, null);
}
