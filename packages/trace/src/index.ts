export {
  type ChromeEventOptions,
  type ChromeTraceBuilder,
  type ChromeTrack,
  CPU_TRACK_PID,
  createChromeTrace,
} from './chrome.ts';
export { ERRNOS, errnoName, isSignalName, SIGNALS, signalName, strerror } from './errno.ts';
export { TraceError, type TraceErrorCode } from './errors.ts';
export {
  type FtraceEntry,
  type FtraceEvent,
  formatFtrace,
  formatFtraceHeader,
  formatFtraceLine,
  formatLatencyFlags,
  ftracePrio,
  type LatencyFlags,
  type SchedSwitch,
  type SchedWakeup,
} from './ftrace.ts';
export {
  formatKernelStackLine,
  formatProcStack,
  formatProcStatus,
  formatUserStacks,
  type KernelFrame,
  MAX_STACK_TRACE_DEPTH,
  type UserFrame,
  type UserStack,
} from './proc.ts';
export { formatPsELf, formatPsLA, formatTaskListing, type PsOptions, STATE_WORDS } from './ps.ts';
export { drawKernelStack, type KernelStackPicture, type StackMarker, type StackRegion, type StackWord } from './stackPicture.ts';
export { parseStraceArgs } from './strace/args.ts';
export {
  createStraceFormatter,
  formatStrace,
  formatStraceReturn,
  type StraceCallEnd,
  type StraceCallStart,
  type StraceFormatOptions,
  type StraceFormatter,
  type StraceItem,
  type StraceSignalDelivery,
  type StraceTaskExited,
  type StraceTaskKilled,
  sigchldInfo,
} from './strace/format.ts';
export { createStraceParser, parseStrace, type StraceParseOptions, type StraceParser } from './strace/parse.ts';
export { formatStraceTree, syscallsByTid } from './strace/tree.ts';
export type {
  StraceArg,
  StraceAttach,
  StraceCall,
  StraceExited,
  StraceKilled,
  StraceLog,
  StraceRecord,
  StraceReturn,
  StraceSignal,
  StraceSuperseded,
  StraceTask,
  StraceTaskEnd,
  StraceTimestamps,
} from './strace/types.ts';
export { type SimClock, TASK_STATES, type TaskInfo, type TaskState } from './types.ts';
