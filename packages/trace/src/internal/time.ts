import { TraceError } from '../errors.ts';

/** Checks that `ns` is a non-negative integer (a simulated time or duration). */
export function checkNs(ns: number, what: string, source: string): void {
  if (!Number.isSafeInteger(ns) || ns < 0) {
    throw new TraceError('bad-input', `${what} must be a non-negative integer number of nanoseconds (got ${ns})`, { source });
  }
}

/** Whole seconds and the microseconds left over, of `bootEpochSeconds` + `ns` (truncated, as the kernel and strace do). */
export function secondsAndMicros(ns: number, bootEpochSeconds: number): [seconds: number, micros: number] {
  const seconds = Math.floor(ns / 1e9);
  return [bootEpochSeconds + seconds, Math.floor((ns - seconds * 1e9) / 1000)];
}

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function pad6(n: number): string {
  return String(n).padStart(6, '0');
}

/** `HH:MM:SS` of the UTC day of `epochSeconds`. */
export function clockOfDay(epochSeconds: number): string {
  const s = ((epochSeconds % 86400) + 86400) % 86400;
  return `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * ps's STIME (procps `pr_stime`): `%H:%M` when the task started on the current day,
 * `%b%d` on another day of the same year, `%Y` in another year (UTC).
 */
export function psStartTime(startEpochSeconds: number, nowEpochSeconds: number): string {
  const start = new Date(startEpochSeconds * 1000);
  const now = new Date(nowEpochSeconds * 1000);
  if (start.getUTCFullYear() !== now.getUTCFullYear()) return String(start.getUTCFullYear());
  if (start.getUTCMonth() !== now.getUTCMonth() || start.getUTCDate() !== now.getUTCDate()) {
    return `${MONTHS[start.getUTCMonth()]}${pad2(start.getUTCDate())}`;
  }
  return `${pad2(start.getUTCHours())}:${pad2(start.getUTCMinutes())}`;
}

/** ps's TIME (procps `pr_time`): cumulative CPU time as `[DD-]HH:MM:SS`, truncated to seconds. */
export function psCpuTime(cpuNs: number): string {
  let t = Math.floor(cpuNs / 1e9);
  const ss = t % 60;
  t = Math.floor(t / 60);
  const mm = t % 60;
  t = Math.floor(t / 60);
  const hh = t % 24;
  const dd = Math.floor(t / 24);
  const hms = `${pad2(hh)}:${pad2(mm)}:${pad2(ss)}`;
  return dd > 0 ? `${dd}-${hms}` : hms;
}
