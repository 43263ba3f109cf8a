export { type Clock, createClock } from './clock.ts';
export { EventlogError, type EventlogErrorCode } from './errors.ts';
export {
  type AnyEvent,
  type EventEnvelope,
  type EventMap,
  type EventMapBase,
  type EventOf,
  type EventType,
  isInputType,
  type OssimEvent,
} from './events.ts';
export { canonicalJson, stateHash } from './hash.ts';
export { createEventLog, type EventLog, type Unsubscribe } from './log.ts';
export { createRandom, type Random, type RandomRoot, type RandomState } from './random.ts';
export { combineReducers, type Patch, type Reducer, reduceImmutable, reduceInPlace, reduceWithPatches } from './reducer.ts';
export { compareEvents, type Divergence, type Execute, type ReexecuteResult, type RefoldOptions, reexecute, refold } from './replay.ts';
export { createSimulation, eventsOf, type Fold, type Simulation, type Snapshot, type SnapshotParticipant } from './sim.ts';
export { createTimerQueue, type PendingTimer, type TimerQueue, type TimerQueueState } from './timers.ts';
export {
  createTraceHeader,
  createTraceWriter,
  readTrace,
  type TextSink,
  TRACE_FORMAT,
  TRACE_FORMAT_VERSION,
  type TraceHeader,
  type TraceInputs,
  type TraceReader,
  TraceValidator,
  type TraceWriter,
} from './trace.ts';
