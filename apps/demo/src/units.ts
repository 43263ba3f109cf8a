import { CliError } from './io.ts';

/** Formats nanoseconds for people: `0 ns`, `3.400 us`, `12.000 ms`, `1.500000 s`. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(3)} us`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(3)} ms`;
  return `${(ns / 1_000_000_000).toFixed(6)} s`;
}

const UNITS: Record<string, number> = { ns: 1, us: 1_000, ms: 1_000_000, s: 1_000_000_000 };

/** Parses a simulated time with its unit (`12ms`, `3400us`, `52000ns`, `1.5s`) into integer nanoseconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s)$/.exec(text.trim());
  if (m === null) throw new CliError(`${what}: ${JSON.stringify(text)} is not a time with a unit (for example 12ms, 3400us, 52000ns)`, 2);
  const ns = Number(m[1]) * (UNITS[m[2] as string] as number);
  if (!Number.isSafeInteger(Math.round(ns))) throw new CliError(`${what}: ${text} is too large`, 2);
  return Math.round(ns);
}
