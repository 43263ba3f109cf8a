import './events.ts';

export {
  CLONE,
  ERRNO,
  errnoName,
  FUTEX,
  I386_SYSCALLS,
  KERNEL_LAYOUT,
  NR_SYSCALLS,
  PRIVATE_SYSCALL_BASE,
  PRIVATE_SYSCALLS,
  RECORDED_MODE,
  RECORDED_SYSCALL_BIT,
  RLIMIT_STACK,
  SYSCALL_NAMES,
  SYSCALLS,
  type SyscallName,
  syscallName,
  syscallNumber,
  TASK,
  TASK_STRUCT_SIZE,
  VECTORS,
  WNOHANG,
} from './abi.ts';
export { createRunCounter, RUN_COUNTER_ROWS, type RunCounter, type RunCounterRow, type RunCounters, showRunCounter } from './counters.ts';
export { KernelError, type KernelErrorCode } from './errors.ts';
export type { Outcome, TaskState } from './events.ts';
export { createChromeExport, createFtraceExport } from './export.ts';
export { DISK_READ_PATH, DISK_WRITE_PATH, kernelSource, NIC_RX_PATH } from './image.ts';
export {
  assembleProgram,
  createKernel,
  type Kernel,
  type KernelCheckpoint,
  type KernelOptions,
  type KernelState,
  type RunResult,
  type StackWord,
  type TaskInfo,
  userDefines,
} from './kernel.ts';
export {
  defineOs,
  isPresetName,
  type OsExtensions,
  type OsVariant,
  type OsVariantInput,
  PRESETS,
  type PresetName,
  parseOs,
  type SchedulerConfig,
} from './os.ts';
export {
  runScenario,
  SCENARIO_SEED,
  SCENARIO_TITLES,
  SCENARIO_UNTIL_NS,
  SCENARIOS,
  type ScenarioName,
  type ScenarioResult,
  type ScenarioRun,
  type ScenarioRunInputs,
  scenarioRuns,
} from './scenarios.ts';
export {
  CREATING_NRS,
  DEFAULT_BLOCK_NS,
  DEFAULT_CALL_NS,
  DEFAULT_GAP_NS,
  mapTids,
  type StraceImport,
  workloadFromStrace,
} from './straceImport.ts';
export {
  createKernelView,
  createStraceFeed,
  type KernelView,
  kernelViewReducer,
  type TaskView,
  viewTaskInfos,
} from './view.ts';
export {
  buildWorkload,
  type CloneCall,
  checkWorkload,
  type KthreadSpec,
  type ProcessShape,
  type ProgramOptions,
  programFor,
  type Step,
  type Workload,
  type WorkloadShape,
} from './workload.ts';
