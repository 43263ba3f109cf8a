import { type AddressSpace, type FaultResult, isPageFaultSignal, type PageFaultSignal } from '@ossim/mmu';

/** Runs `access`; returns the fault it raised, or null. */
export function faultOf(access: () => unknown): PageFaultSignal | null {
  try {
    access();
    return null;
  } catch (signal) {
    if (isPageFaultSignal(signal)) return signal;
    throw signal;
  }
}

/**
 * Runs `access` the way a CPU with a #PF handler does: on a fault, hands it to the address
 * space and retries; returns the access's value and the fault results along the way.
 */
export function withFaults<T>(mm: AddressSpace, access: () => T): { value: T | undefined; faults: FaultResult[] } {
  const faults: FaultResult[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return { value: access(), faults };
    } catch (signal) {
      if (!isPageFaultSignal(signal)) throw signal;
      const result = mm.handleFault(signal.address, signal.errorCode);
      faults.push(result);
      if (!result.resolved) return { value: undefined, faults };
    }
  }
  throw new Error('access kept faulting');
}
