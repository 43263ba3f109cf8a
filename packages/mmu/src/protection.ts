import { MmuError } from './errors.ts';

/** What a region allows: read, write, execute, and whether user mode may touch it at all. */
export interface Protection {
  readonly read: boolean;
  readonly write: boolean;
  /** Recorded in the region; 2-level paging has no NX bit, so the MMU checks fetches as reads. */
  readonly exec: boolean;
  /** Clear: a supervisor-only region (its PTEs lack `_PAGE_USER`). */
  readonly user: boolean;
}

/**
 * Parses a permission string of four characters: `r` or `-`, `w` or `-`, `x` or `-`,
 * then `u` (user) or `k` (kernel only), as in `rw-u`, `r-xu`, `r--k`.
 *
 * @example
 * ```ts
 * parseProtection('rw-u'); // { read: true, write: true, exec: false, user: true }
 * ```
 */
export function parseProtection(text: string): Protection {
  const m = /^([r-])([w-])([x-])([uk])$/.exec(text);
  if (m === null) {
    throw new MmuError(
      'bad-protection',
      `permissions ${JSON.stringify(text)} must be 4 characters: r|-, w|-, x|-, u|k (e.g. "rw-u", "r--k")`,
    );
  }
  return { read: m[1] === 'r', write: m[2] === 'w', exec: m[3] === 'x', user: m[4] === 'u' };
}

/** The four-character form of `prot`, e.g. `rw-u`. */
export function formatProtection(prot: Protection): string {
  return `${prot.read ? 'r' : '-'}${prot.write ? 'w' : '-'}${prot.exec ? 'x' : '-'}${prot.user ? 'u' : 'k'}`;
}
