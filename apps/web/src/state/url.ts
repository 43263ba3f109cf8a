import { isPresetName, type OsVariantInput, SCENARIOS } from '@ossim/kernel';

/** The tabs of the page. */
export const VIEWS = ['stacks', 'space', 'tasks', 'compare'] as const;
export type ViewName = (typeof VIEWS)[number];

/** What the URL holds: enough to come back to the same moment of the same run. */
export interface UrlState {
  readonly scenario: string;
  /** Which of the scenario's runs (its variants), from 0. */
  readonly run: number;
  /** A preset name, or a variant (fields over a preset) when edited in the form; null: the run's own. */
  readonly os: string | OsVariantInput | null;
  readonly seq: number;
  readonly insns: number;
  readonly tid: number | null;
  readonly view: ViewName;
}

/** Where the page starts without a URL. */
export const DEFAULT_STATE: UrlState = { scenario: 'single-stack', run: 0, os: null, seq: 0, insns: 0, tid: null, view: 'stacks' };

const int = (text: string | null, min: number): number | null => {
  if (text === null || !/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min ? n : null;
};

/** Reads the state from a URL's query (`?scenario=single-stack&run=0&seq=812&tid=3&view=stacks`); bad values fall back to the defaults. */
export function parseUrlState(search: string): UrlState {
  const q = new URLSearchParams(search);
  const scenario = q.get('scenario');
  const view = q.get('view');
  const osText = q.get('os');
  let os: UrlState['os'] = null;
  if (osText !== null && osText !== '') {
    if (isPresetName(osText)) os = osText;
    else {
      try {
        const parsed = JSON.parse(osText) as unknown;
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) os = parsed as OsVariantInput;
      } catch {
        os = null;
      }
    }
  }
  return {
    scenario: scenario !== null && (SCENARIOS as readonly string[]).includes(scenario) ? scenario : DEFAULT_STATE.scenario,
    run: int(q.get('run'), 0) ?? 0,
    os,
    seq: int(q.get('seq'), 0) ?? 0,
    insns: int(q.get('insn'), 0) ?? 0,
    tid: int(q.get('tid'), 0),
    view: view !== null && (VIEWS as readonly string[]).includes(view) ? (view as ViewName) : DEFAULT_STATE.view,
  };
}

/** Writes the state as a query string (defaults left out). */
export function formatUrlState(s: UrlState): string {
  const q = new URLSearchParams();
  q.set('scenario', s.scenario);
  if (s.run !== 0) q.set('run', String(s.run));
  if (s.os !== null) q.set('os', typeof s.os === 'string' ? s.os : JSON.stringify(s.os));
  q.set('seq', String(s.seq));
  if (s.insns !== 0) q.set('insn', String(s.insns));
  if (s.tid !== null) q.set('tid', String(s.tid));
  if (s.view !== DEFAULT_STATE.view) q.set('view', s.view);
  return `?${q.toString()}`;
}
