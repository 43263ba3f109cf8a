import './events.ts';

export { type AssembleOptions, assemble, type Image, type ImageSection, loadImage } from './assembler.ts';
export {
  createFlatBus,
  type FlatBus,
  isPageFault,
  KERNEL_BASE,
  type MemoryBus,
  type PageFault,
  PageFaultError,
  type SoftTlb,
  SoftTlbAllow,
} from './bus.ts';
export { type DisassembleOptions, type Disassembly, disassemble } from './disassembler.ts';
export { CpuError, type CpuErrorCode, type SourcePosition } from './errors.ts';
export type {
  CpuExceptionPayload,
  CpuHaltPayload,
  CpuInsnPayload,
  CpuShutdownPayload,
  CpuTrapEnterPayload,
  CpuTrapExitPayload,
  ExceptionKind,
  TrapKind,
  TrapStack,
} from './events.ts';
export {
  CONTROL_REGISTERS,
  type ControlRegister,
  type CpuMode,
  PS,
  PS_FLAGS,
  PS_MASK,
  TRAP_ENTRY_CYCLES,
  TrapFrame,
  Vector,
} from './isa.ts';
export {
  type Cpu,
  type CpuConfig,
  type CpuRegisters,
  type CpuState,
  createMachine,
  type Machine,
  type MachineOptions,
  type MachineState,
  type NativeFn,
  type RunStop,
} from './machine.ts';
export { createSymbolTable, type SymbolInfo, type SymbolizeMode, type SymbolLocation, type SymbolTable } from './symbols.ts';
