/**
 * What is wrong with an input given to `@ossim/cpu`: a program's source text, a machine
 * configuration, a native registration, an interrupt request.
 *
 * Faults that happen *inside* the simulation (page faults, general protection,
 * double faults) are never errors: they are delivered to the simulated kernel and
 * published as `cpu.*` events.
 */
export type CpuErrorCode =
  | 'unknown-mnemonic'
  | 'bad-operand'
  | 'bad-expression'
  | 'undefined-symbol'
  | 'duplicate-symbol'
  | 'reserved-name'
  | 'immediate-out-of-range'
  | 'bad-directive'
  | 'bad-section'
  | 'section-overlap'
  | 'unaligned-instruction'
  | 'bad-config'
  | 'bad-vector'
  | 'bad-register'
  | 'native-exists'
  | 'unknown-native'
  /** A checkpoint that does not fit this machine, or save/load called during a run. */
  | 'bad-checkpoint';

/** Where in a source text an error was found (1-based line and column). */
export interface SourcePosition {
  readonly source: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The one error class of `@ossim/cpu`. Assembler errors carry the `source` name, the
 * 1-based `line` and `column`, and read `prog.s:12:9: unknown mnemonic "psuh"`.
 *
 * @example
 * ```ts
 * try {
 *   assemble('  psuh r0', { source: 'prog.s' });
 * } catch (e) {
 *   if (e instanceof CpuError) console.log(e.code, e.line, e.column); // unknown-mnemonic 1 3
 * }
 * ```
 */
export class CpuError extends Error {
  override readonly name = 'CpuError';
  readonly code: CpuErrorCode;
  /** The input's name (a file name for assembler errors), when there is one. */
  readonly source: string | undefined;
  /** 1-based line of an assembler error. */
  readonly line: number | undefined;
  /** 1-based column of an assembler error. */
  readonly column: number | undefined;
  /** The reason alone, without the place. */
  readonly reason: string;

  constructor(code: CpuErrorCode, reason: string, where: { position?: SourcePosition; cause?: unknown } = {}) {
    const p = where.position;
    super(
      p === undefined ? reason : `${p.source}:${p.line}:${p.column}: ${reason}`,
      where.cause === undefined ? undefined : { cause: where.cause },
    );
    this.code = code;
    this.reason = reason;
    this.source = p?.source;
    this.line = p?.line;
    this.column = p?.column;
  }
}
