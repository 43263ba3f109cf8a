import { formatNs, h } from '../dom.ts';
import type { IndexColumns } from '../protocol.ts';
import { seqAtTime } from '../state/cursor.ts';
import { SLICE_KINDS, type SliceKind, type TimelineData } from '../worker/timeline.ts';
import { SLICE_COLOURS, textOn } from './palette.ts';

const LABEL_W = 150;
const ROW = 14;
const THREAD_ROW = 12;

interface Group {
  readonly lane: number;
  readonly depth: number;
  /** Slice indices sorted by start. */
  readonly order: Int32Array;
}

/** Per lane: its depth count and top y. */
interface LaneLayout {
  readonly y: number;
  readonly height: number;
  readonly depths: number;
  readonly label: string;
}

/**
 * The timeline: a lane per CPU (the task it runs; system calls and interrupts nested above)
 * and a lane per thread (running, runnable, sleeping S, disk D, zombie). Drawn on a canvas,
 * the static part only when the window changes, the cursor on top; wheel zooms, drag pans,
 * a click moves the cursor. A text summary of the lanes at the cursor goes beside it.
 */
export function createTimeline(options: { onPick(seq: number): void }) {
  const canvas = h('canvas', {
    class: 'timeline-canvas',
    tabindex: 0,
    role: 'img',
    'aria-label': 'timeline (see the table "at the cursor" for its text)',
  });
  const layer = document.createElement('canvas');
  const summary = h('table', { class: 'lanes-now' });
  const caption = h('p', { class: 'timeline-range', 'aria-live': 'off' });
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'legend' },
    ...SLICE_KINDS.map((k) =>
      h(
        'li',
        {},
        h('span', { class: 'swatch', style: `background:${SLICE_COLOURS[k]}` }),
        k === 'disk' ? 'disk wait (D)' : k === 'sleeping' ? 'sleeping (S)' : k,
      ),
    ),
  );
  const zoomIn = h('button', { type: 'button', title: 'zoom in (+)' }, 'zoom +');
  const zoomOut = h('button', { type: 'button', title: 'zoom out (-)' }, 'zoom −');
  const fit = h('button', { type: 'button', title: 'whole run (0)' }, 'fit');
  const root = h(
    'div',
    { class: 'timeline' },
    h('div', { class: 'timeline-tools' }, zoomIn, zoomOut, fit, caption),
    canvas,
    legend,
    h('details', { class: 'lanes-now-box', open: true }, h('summary', {}, 'At the cursor (text of the timeline)'), summary),
  );
  let data: TimelineData | null = null;
  let index: IndexColumns | null = null;
  let groups: Group[] = [];
  let lanes: LaneLayout[] = [];
  let t0 = 0;
  let t1 = 1;
  let cursorSeq = 0;
  let dirty = true;
  let width = 800;
  let height = 100;
  const dpr = (): number => globalThis.devicePixelRatio || 1;

  /**
   * The first slice of a group that can reach time `t`: slices of one lane and depth follow one
   * another without overlapping, so it is the last one starting at or before `t`.
   */
  const firstAt = (gr: Group, t: number): number => {
    if (data === null) return 0;
    const start = data.start;
    let lo = 0;
    let hi = gr.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((start[gr.order[mid] as number] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  };
  const x = (t: number): number => LABEL_W + ((t - t0) / (t1 - t0)) * (width - LABEL_W);
  const tAt = (px: number): number => t0 + ((px - LABEL_W) / (width - LABEL_W)) * (t1 - t0);

  function layout(): void {
    if (data === null) return;
    lanes = [];
    let y = 0;
    const depthOf = new Map<number, number>();
    for (let i = 0; i < data.count; i++) {
      const l = data.lane[i] as number;
      depthOf.set(l, Math.max(depthOf.get(l) ?? 0, (data.depth[i] as number) + 1));
    }
    for (let c = 0; c < data.cpus; c++) {
      const depths = Math.max(1, depthOf.get(c) ?? 1);
      lanes.push({ y, height: depths * ROW, depths, label: `CPU ${c}` });
      y += depths * ROW + 4;
    }
    y += 6;
    for (const t of data.threads) {
      lanes.push({ y, height: THREAD_ROW, depths: 1, label: `${t.comm} (${t.tid})` });
      y += THREAD_ROW + 2;
    }
    height = y + 4;
  }

  function group(): void {
    if (data === null) return;
    const d = data;
    const order = Int32Array.from({ length: d.count }, (_, i) => i);
    order.sort(
      (a, b) =>
        (d.lane[a] as number) - (d.lane[b] as number) ||
        (d.depth[a] as number) - (d.depth[b] as number) ||
        (d.start[a] as number) - (d.start[b] as number),
    );
    groups = [];
    let from = 0;
    for (let i = 1; i <= order.length; i++) {
      const a = order[from] as number;
      const b = order[i];
      if (b === undefined || d.lane[b] !== d.lane[a] || d.depth[b] !== d.depth[a]) {
        groups.push({ lane: d.lane[a] as number, depth: d.depth[a] as number, order: order.slice(from, i) });
        from = i;
      }
    }
  }

  function drawLayer(): void {
    const r = dpr();
    width = Math.max(300, canvas.clientWidth || root.clientWidth || 800);
    canvas.width = layer.width = Math.round(width * r);
    canvas.height = layer.height = Math.round(height * r);
    canvas.style.height = `${height}px`;
    const g = layer.getContext('2d');
    if (g === null || data === null) return;
    const d = data;
    g.setTransform(r, 0, 0, r, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '10px system-ui, sans-serif';
    g.textBaseline = 'middle';
    lanes.forEach((l, i) => {
      g.fillStyle = i % 2 === 0 ? '#f6f6f6' : '#fff';
      g.fillRect(0, l.y, width, l.height);
      g.fillStyle = '#000';
      g.fillText(l.label, 4, l.y + Math.min(l.height, ROW) / 2, LABEL_W - 8);
    });
    for (const gr of groups) {
      const lane = lanes[gr.lane];
      if (lane === undefined) continue;
      const isCpu = gr.lane < d.cpus;
      const rowH = isCpu ? ROW : THREAD_ROW;
      const y = isCpu ? lane.y + (lane.depths - 1 - gr.depth) * ROW : lane.y;
      let lastPx = -1;
      for (let k = firstAt(gr, t0); k < gr.order.length; k++) {
        const s = gr.order[k] as number;
        const start = d.start[s] as number;
        if (start > t1) break;
        const end = d.end[s] as number;
        if (end < t0) continue;
        const xa = Math.max(LABEL_W, x(start));
        const xb = Math.min(width, x(end));
        const kind = SLICE_KINDS[d.kind[s] as number] as SliceKind;
        if (xb - xa < 1) {
          const px = Math.floor(xa);
          if (px === lastPx) continue;
          lastPx = px;
          g.fillStyle = SLICE_COLOURS[kind];
          g.fillRect(px, y + 1, 1, rowH - 2);
          continue;
        }
        lastPx = Math.floor(xb);
        g.fillStyle = SLICE_COLOURS[kind];
        g.fillRect(xa, y + 1, xb - xa, rowH - 2);
        if (xb - xa > 30 && isCpu) {
          g.fillStyle = textOn(kind);
          g.fillText(d.labels[d.label[s] as number] ?? '', xa + 2, y + rowH / 2, xb - xa - 4);
        }
      }
    }
    dirty = false;
  }

  function draw(): void {
    if (data === null) return;
    if (dirty) drawLayer();
    const g = canvas.getContext('2d');
    if (g === null || index === null) return;
    const r = dpr();
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, canvas.width, canvas.height);
    g.drawImage(layer, 0, 0);
    g.setTransform(r, 0, 0, r, 0, 0);
    const t = cursorSeq === 0 ? 0 : (index.times[cursorSeq - 1] ?? 0);
    if (t >= t0 && t <= t1) {
      const cx = Math.round(x(t)) + 0.5;
      g.strokeStyle = '#000';
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(cx, 0);
      g.lineTo(cx, height);
      g.stroke();
    }
  }

  function describe(): void {
    if (data === null || index === null) return;
    const d = data;
    const t = cursorSeq === 0 ? 0 : (index.times[cursorSeq - 1] ?? 0);
    const rows: string[][] = [];
    for (let l = 0; l < lanes.length; l++) {
      const parts: string[] = [];
      for (const gr of groups) {
        if (gr.lane !== l) continue;
        const s = gr.order[firstAt(gr, t)];
        if (s !== undefined && (d.start[s] as number) <= t && (d.end[s] as number) >= t) {
          const kind = SLICE_KINDS[d.kind[s] as number] as SliceKind;
          parts[gr.depth] = l < d.cpus ? (d.labels[d.label[s] as number] ?? kind) : kind;
        }
      }
      rows.push([lanes[l]?.label ?? '', parts.filter(Boolean).join(' > ') || '-']);
    }
    summary.replaceChildren(
      h('caption', {}, `lanes at ${formatNs(t)} (seq ${cursorSeq})`),
      h('tr', {}, h('th', { scope: 'col' }, 'lane'), h('th', { scope: 'col' }, 'what it is doing (innermost last)')),
      ...rows.map(([a, b]) => h('tr', {}, h('th', { scope: 'row' }, a ?? ''), h('td', {}, b ?? ''))),
    );
    caption.textContent = `showing ${formatNs(t0)} – ${formatNs(t1)} of ${formatNs(d.endNs)}`;
  }

  const zoom = (factor: number, around?: number): void => {
    if (data === null) return;
    const c = around ?? (index !== null && cursorSeq > 0 ? (index.times[cursorSeq - 1] ?? (t0 + t1) / 2) : (t0 + t1) / 2);
    const span = Math.max(50, Math.min(data.endNs || 1, (t1 - t0) * factor));
    t0 = Math.max(0, c - (c - t0) * (span / (t1 - t0)));
    t1 = t0 + span;
    if (t1 > data.endNs) {
      t1 = Math.max(data.endNs, 1);
      t0 = Math.max(0, t1 - span);
    }
    dirty = true;
    draw();
    describe();
  };
  const fitAll = (): void => {
    if (data === null) return;
    t0 = 0;
    t1 = Math.max(1, data.endNs);
    dirty = true;
    draw();
    describe();
  };
  zoomIn.addEventListener('click', () => zoom(0.5));
  zoomOut.addEventListener('click', () => zoom(2));
  fit.addEventListener('click', fitAll);
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      zoom(e.deltaY > 0 ? 1.25 : 0.8, tAt(e.clientX - rect.left));
    },
    { passive: false },
  );
  let drag: { x: number; t0: number; t1: number; moved: boolean } | null = null;
  canvas.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, t0, t1, moved: false };
    canvas.setPointerCapture(e.pointerId);
  });
  /** What is under the pointer: the innermost slice of that lane at that time, as the canvas's tooltip. */
  const hover = (px: number, py: number): string => {
    if (data === null || px < LABEL_W) return '';
    const d = data;
    const t = tAt(px);
    const l = lanes.findIndex((lane) => py >= lane.y && py < lane.y + lane.height);
    if (l < 0) return '';
    const lane = lanes[l] as LaneLayout;
    const depth = l < d.cpus ? lane.depths - 1 - Math.floor((py - lane.y) / ROW) : 0;
    const gr = groups.find((g) => g.lane === l && g.depth === depth);
    if (gr === undefined) return '';
    const slop = ((t1 - t0) / (width - LABEL_W)) * 2;
    for (let k = firstAt(gr, t - slop); k < gr.order.length; k++) {
      const s = gr.order[k] as number;
      if ((d.start[s] as number) > t + slop) break;
      if ((d.end[s] as number) >= t - slop) {
        const kind = SLICE_KINDS[d.kind[s] as number] as SliceKind;
        const name = l < d.cpus ? (d.labels[d.label[s] as number] ?? kind) : `${lane.label}: ${kind}`;
        return `${lane.label}: ${name}, ${formatNs(d.start[s] as number)} – ${formatNs(d.end[s] as number)} (from seq ${d.seq[s]}); click to move the cursor there`;
      }
    }
    return '';
  };
  canvas.addEventListener('pointermove', (e) => {
    if (drag === null) {
      const rect = canvas.getBoundingClientRect();
      canvas.title = hover(e.clientX - rect.left, e.clientY - rect.top);
      return;
    }
    if (data === null) return;
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (!drag.moved) return;
    const dt = (dx / (width - LABEL_W)) * (drag.t1 - drag.t0);
    t0 = Math.max(0, drag.t0 - dt);
    t1 = t0 + (drag.t1 - drag.t0);
    dirty = true;
    draw();
  });
  canvas.addEventListener('pointerup', (e) => {
    const d = drag;
    drag = null;
    if (d === null || d.moved || index === null) {
      describe();
      return;
    }
    const rect = canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    if (px < LABEL_W) return;
    options.onPick(Math.max(1, seqAtTime(index, tAt(px))));
  });
  canvas.addEventListener('keydown', (e) => {
    if (e.key === '+' || e.key === '=') zoom(0.5);
    else if (e.key === '-') zoom(2);
    else if (e.key === '0') fitAll();
    else return;
    e.preventDefault();
    e.stopPropagation();
  });
  new ResizeObserver(() => {
    dirty = true;
    draw();
  }).observe(root);

  return {
    root,
    setData(t: TimelineData, i: IndexColumns): void {
      data = t;
      index = i;
      group();
      layout();
      fitAll();
    },
    /** Moves the cursor; keeps it in the window (following it while playing). */
    setCursor(seq: number, describeNow = true): void {
      cursorSeq = seq;
      if (index !== null && data !== null && seq > 0) {
        const t = index.times[seq - 1] ?? 0;
        if (t < t0 || t > t1) {
          const span = t1 - t0;
          t0 = Math.max(0, Math.min(t - span * 0.1, Math.max(0, data.endNs - span)));
          t1 = t0 + span;
          dirty = true;
        }
      }
      draw();
      if (describeNow) describe();
    },
    zoom,
    fitAll,
    get window(): [number, number] {
      return [t0, t1];
    },
  };
}
