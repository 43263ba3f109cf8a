/**
 * What was wrong with an input given to `@ossim/trace`:
 * - `bad-line`: a strace log line that cannot be parsed (or whose timestamp format differs from the log's);
 * - `orphan-resumed`: a `<... name resumed>` line with no `<unfinished ...>` start on that tid;
 * - `resumed-mismatch`: a `<... name resumed>` line whose name is not the unfinished call's;
 * - `overlapping-call`: a tid starts a system call while another of its calls is unfinished;
 * - `out-of-order`: records fed to a streaming formatter go back in time;
 * - `bad-sequence`: a streaming formatter was fed a call end with no start, two starts, or a record after `end()`;
 * - `nesting`: a Chrome trace slice closed out of order, with no open slice, or left open at the end;
 * - `bad-input`: a formatter's data is malformed (a negative time, an unknown errno or signal name,
 *   overlapping stack regions, ...).
 */
export type TraceErrorCode =
  | 'bad-line'
  | 'orphan-resumed'
  | 'resumed-mismatch'
  | 'overlapping-call'
  | 'out-of-order'
  | 'bad-sequence'
  | 'nesting'
  | 'bad-input';

/**
 * The one error class of `@ossim/trace`. It names the input (`source`: a file name, or the
 * formatter that was given bad data), the place (`line`, 1-based, when there is one) and
 * the reason; the message reads `source:line: reason`.
 *
 * @example
 * ```ts
 * try {
 *   parseStrace('1 <... read resumed>) = 0\n', { source: 'run.strace' });
 * } catch (e) {
 *   if (e instanceof TraceError) console.error(e.message); // run.strace:1: `<... read resumed>` with no unfinished read on tid 1
 * }
 * ```
 */
export class TraceError extends Error {
  override readonly name = 'TraceError';
  /** Which kind of mistake. */
  readonly code: TraceErrorCode;
  /** The input at fault: a file name, or the function that was given bad data. */
  readonly source: string;
  /** The 1-based line of `source`, when the input has lines. */
  readonly line: number | undefined;
  /** The reason, without the place. */
  readonly reason: string;

  constructor(code: TraceErrorCode, reason: string, where: { source: string; line?: number | undefined; cause?: unknown }) {
    const place = where.line === undefined ? `${where.source}: ` : `${where.source}:${where.line}: `;
    super(`${place}${reason}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.code = code;
    this.source = where.source;
    this.line = where.line;
    this.reason = reason;
  }
}
