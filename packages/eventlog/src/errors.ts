/** What went wrong with an input the user gave the event log (a trace file, a snapshot, a time). */
export type EventlogErrorCode =
  | 'bad-json'
  | 'missing-header'
  | 'unknown-version'
  | 'bad-header'
  | 'bad-event'
  | 'seq-gap'
  | 'seq-disorder'
  | 'time-backwards'
  | 'truncated'
  | 'io'
  | 'file-exists'
  | 'clock'
  | 'bad-snapshot';

/**
 * The one error class of `@ossim/eventlog`. It names the input (`source`, usually a
 * file name), the place (`line`, 1-based, when there is one) and the reason.
 */
export class EventlogError extends Error {
  override readonly name = 'EventlogError';
  readonly code: EventlogErrorCode;
  readonly source: string | undefined;
  readonly line: number | undefined;

  constructor(
    code: EventlogErrorCode,
    reason: string,
    where: { source?: string | undefined; line?: number | undefined; cause?: unknown } = {},
  ) {
    const place = where.source === undefined ? '' : where.line === undefined ? `${where.source}: ` : `${where.source}:${where.line}: `;
    super(`${place}${reason}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.code = code;
    this.source = where.source;
    this.line = where.line;
  }
}
