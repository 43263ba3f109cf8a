import { defineOs, KernelError, type OsVariant, type OsVariantInput, PRESETS, type PresetName } from '@ossim/kernel';
import { h } from '../dom.ts';

type Field =
  | { readonly key: string; readonly label: string; readonly kind: 'text' | 'number'; readonly help: string }
  | { readonly key: string; readonly label: string; readonly kind: 'select'; readonly options: readonly string[]; readonly help: string }
  | { readonly key: string; readonly label: string; readonly kind: 'checkbox'; readonly help: string };

/** Every field of an OS variant (README's table), as form controls. */
const FIELDS: readonly Field[] = [
  { key: 'name', label: 'name', kind: 'text', help: 'the variant’s name' },
  { key: 'cpus', label: 'CPUs', kind: 'number', help: '1–64' },
  { key: 'memory', label: 'memory (bytes)', kind: 'number', help: '16 MiB–1 GiB, a multiple of 4 MiB' },
  { key: 'threadSize', label: 'THREAD_SIZE', kind: 'select', options: ['4096', '8192', '16384', '32768'], help: 'kernel stack size' },
  {
    key: 'stackAllocator',
    label: 'stack allocator',
    kind: 'select',
    options: ['contiguous', 'vmap', 'single'],
    help: 'contiguous, vmapped with guard pages, or one shared stack',
  },
  {
    key: 'threadInfo',
    label: 'thread_info',
    kind: 'select',
    options: ['stack', 'task'],
    help: 'at the stack’s base (needs contiguous) or in the task',
  },
  { key: 'irqStacks', label: 'IRQ stacks', kind: 'checkbox', help: 'per-CPU hardirq stacks' },
  { key: 'preemption', label: 'preemption', kind: 'select', options: ['none', 'voluntary', 'full', 'lazy'], help: 'the preemption model' },
  {
    key: 'scheduler.policy',
    label: 'scheduler',
    kind: 'select',
    options: ['FIFO', 'SJF', 'STCF', 'RR', 'PRIO', 'MLFQ', 'CFS'],
    help: 'the policy',
  },
  { key: 'scheduler.quantum', label: 'quantum (ns)', kind: 'number', help: 'time slice of RR, MLFQ, PRIO (>= 1000); empty: none' },
  { key: 'hz', label: 'HZ', kind: 'number', help: 'timer interrupts per second (10–10000)' },
  {
    key: 'stackRelease',
    label: 'stack release',
    kind: 'select',
    options: ['at-reap', 'at-final-switch'],
    help: 'when a dead task’s stack is freed',
  },
  { key: 'diskLatency', label: 'disk latency (ns)', kind: 'number', help: 'DMA latency (>= 1000)' },
];

const get = (v: OsVariant, key: string): unknown =>
  key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], v);

/**
 * A form for every field of a variant, validated by `defineOs` as you type: a bad field shows
 * the library's message (which names the field) beside it, and the variant is not used.
 */
export function createVariantForm(onChange: (v: OsVariant | null) => void) {
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const errors = new Map<string, HTMLElement>();
  const general = h('p', { class: 'field-error', role: 'alert' });
  const rows = FIELDS.map((f) => {
    const id = `os-${f.key.replace('.', '-')}`;
    const control =
      f.kind === 'select'
        ? h('select', { id }, ...f.options.map((o) => h('option', { value: o }, o)))
        : h('input', { id, type: f.kind, ...(f.kind === 'number' ? { inputmode: 'numeric' } : {}) });
    controls.set(f.key, control);
    const err = h('span', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
    control.setAttribute('aria-describedby', `${id}-help ${id}-error`);
    errors.set(f.key, err);
    control.addEventListener('input', () => validate());
    control.addEventListener('change', () => validate());
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), control, h('small', { id: `${id}-help` }, f.help), err);
  });
  const root = h('fieldset', { class: 'variant-form' }, h('legend', {}, 'OS variant: every field'), ...rows, general);

  function read(): OsVariantInput {
    const out: Record<string, unknown> = {};
    const scheduler: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const c = controls.get(f.key) as HTMLInputElement | HTMLSelectElement;
      let v: unknown;
      if (f.kind === 'checkbox') v = (c as HTMLInputElement).checked;
      else if (f.kind === 'number' || f.key === 'threadSize') v = c.value.trim() === '' ? undefined : Number(c.value);
      else v = c.value;
      if (v === undefined) continue;
      if (f.key.startsWith('scheduler.')) scheduler[f.key.slice(10)] = v;
      else out[f.key] = v;
    }
    out.scheduler = scheduler;
    return out as OsVariantInput;
  }
  function validate(): OsVariant | null {
    for (const e of errors.values()) e.textContent = '';
    general.textContent = '';
    for (const c of controls.values()) c.removeAttribute('aria-invalid');
    try {
      const v = defineOs(read());
      onChange(v);
      return v;
    } catch (e) {
      const msg = e instanceof KernelError || e instanceof Error ? e.message : String(e);
      const field = /^([a-zA-Z.]+):/.exec(msg)?.[1];
      const target = field === undefined ? undefined : (errors.get(field) ?? errors.get(field.split('.')[0] ?? ''));
      if (target !== undefined && field !== undefined) {
        target.textContent = msg;
        (controls.get(field) ?? controls.get(field.split('.')[0] ?? ''))?.setAttribute('aria-invalid', 'true');
      } else general.textContent = msg;
      onChange(null);
      return null;
    }
  }
  return {
    root,
    /** Fills the form from a variant. */
    set(v: OsVariant): void {
      for (const f of FIELDS) {
        const c = controls.get(f.key) as HTMLInputElement | HTMLSelectElement;
        const value = get(v, f.key);
        if (f.kind === 'checkbox') (c as HTMLInputElement).checked = value === true;
        else c.value = value === undefined ? '' : String(value);
      }
      validate();
    },
    validate,
    /** The form's variant as the URL keeps it. */
    input: read,
  };
}

export const presetOf = (name: string): OsVariant | undefined => (name in PRESETS ? PRESETS[name as PresetName] : undefined);
