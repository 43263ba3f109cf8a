import { describe, expect, it } from 'vitest';
import { buildWorkload, createKernel, DISK_WRITE_PATH, defineOs, runScenario, SCENARIOS } from '../src/index.ts';

describe.each(SCENARIOS.map((s) => [s]))('scenario %s', (name) => {
  it('passes every check it makes from the simulation, and its narration reports them', () => {
    const r = runScenario(name);
    expect(r.runs.length).toBeGreaterThan(0);
    for (const run of r.runs) {
      expect(run.checks.length).toBeGreaterThan(0);
      for (const c of run.checks) {
        expect({ os: run.os, check: c.what, ok: c.ok }).toEqual({ os: run.os, check: c.what, ok: true });
        expect(run.narration).toContain(`  [ok] ${c.what}`);
      }
      expect(run.narration.filter((l) => l.startsWith(`  outcome: ${run.outcome}`))).toHaveLength(1);
    }
  });
});

describe('scenario narration', () => {
  it('zombie: the narration is the contract', () => {
    const text = runScenario('zombie')
      .runs.map((r) => r.narration.join('\n'))
      .join('\n\n');
    expect(text).toMatchInlineSnapshot(`
      "i386 (stack released at-reap): the child exits before its parent waits.
        child: state Z; kernel stack still held; KernelStack:          32 kB
        after wait4: reaped true; KernelStack:          24 kB
        outcome: ok after 2002090 ns
        [ok] the child is a zombie before the parent waits
        [ok] the zombie keeps its kernel stack
        [ok] wait4 reaps it and its stack is freed

      x86_64 (stack released at-final-switch): the child exits before its parent waits.
        child: state Z; kernel stack already released; KernelStack:          48 kB
        after wait4: reaped true; KernelStack:          32 kB
        outcome: ok after 2002090 ns
        [ok] the child is a zombie before the parent waits
        [ok] the zombie no longer has its kernel stack
        [ok] wait4 reaps it and its stack is freed"
    `);
  });

  it('two-stacks: a process with 3 threads in all, main and the 2 it created', () => {
    const [run] = runScenario('two-stacks').runs;
    expect(run?.narration[0]).toBe('A process with 3 threads (main and the 2 it created with clone) on i386 (8 KiB kernel stacks):');
    expect(run?.tasks.map((t) => [t.pid, t.tid])).toEqual([
      [3, 3],
      [3, 4],
      [3, 5],
    ]);
  });
});

describe('scenario single-stack', () => {
  const [broken, calm] = runScenario('single-stack').runs;

  it('the writer, blocked in write() on disk DMA, is the first to resume on the shared stack, and oopses', () => {
    expect(broken?.outcome).toBe('oops');
    expect(broken?.narration).toContain('  CPU: 0 PID: 3 Comm: writer');
    expect(broken?.checks.map((c) => [c.what, c.ok])).toEqual([
      ['only other ran between the writer blocking and resuming, and the writer is the first to resume on the shared stack', true],
      ['a return address the writer left on the stack was overwritten by other’s kernel entry before the writer popped it', true],
      ['the task that oopses is the writer, at the address its ret popped from the overwritten word', true],
    ]);
  });

  it('shows the saved return address, what overwrote it, and the pop', () => {
    const lines = broken?.narration ?? [];
    // The writer's frames, found from its saved SP: its disk-write path down from the system call.
    const chainStart = lines.findIndex((l) => l.includes('its frames above it return to'));
    const chain = lines.slice(
      chainStart + 1,
      lines.findIndex((l) => l.startsWith('  then ')),
    );
    expect(chain.map((l) => /: (\w+)\+/.exec(l)?.[1])).toEqual([
      'context_switch',
      '__schedule',
      'schedule',
      'io_schedule',
      ...[...DISK_WRITE_PATH].reverse().map(([name]) => name),
      'vfs_write',
      'ksys_write',
      '__ia32_sys_write',
    ]);
    const popped = lines.find((l) => l.endsWith('<- the first its ret pops'));
    // address, what the writer left there (a return address into its write path), what is there now.
    const [, address, left, now] =
      /^ {6}(0x[0-9a-f]{8}) {2}(0x[0-9a-f]{8}) \w+\+0x[0-9a-f]+\/0x[0-9a-f]+ +(0x[0-9a-f]{8})/.exec(popped ?? '') ?? [];
    expect(address).toBeDefined();
    expect(left).not.toBe(now);
    expect(lines).toContain(`  invalid opcode: 0000 [#1] at ${now}`);
    expect(lines.some((l) => l.startsWith(`  returning up its frames, the ret at ${address} pops ${now}`))).toBe(true);
    expect(lines.some((l) => l.startsWith('  then other (tid 4) ran'))).toBe(true);
  });

  it('without blocking or preemption the single stack works', () => {
    expect(calm?.outcome).toBe('ok');
  });
});

describe('the unwinder', () => {
  it('starts from the stack above the guard page when SP is in it (vmap overflow), so the deep path prints', () => {
    const os = defineOs({ preset: 'x86_64', name: 'vmap-4k', threadSize: 4096, irqStacks: false });
    const kernel = createKernel({
      os,
      workload: buildWorkload({
        name: 'overflow',
        processes: [{ comm: 'raidwriter', steps: [{ op: 'disk-write', bytes: 4096 }] }],
        nic: Array.from({ length: 40 }, (_, i) => 2_000 + i * 1_500),
      }),
    });
    const oopses: { sp: number; stack: string[] }[] = [];
    kernel.log.on('kernel.oops', (e) => oopses.push({ sp: e.sp, stack: e.stack }));
    expect(kernel.run({ until: 50_000_000 }).outcome).toBe('overflow');
    const [oops] = oopses;
    const stack = kernel.task(3)?.kernelStack;
    expect(stack).toBeDefined();
    // SP is below the stack, in its guard page: nothing is mapped there.
    expect(oops?.sp).toBeLessThan(stack?.base ?? 0);
    expect(kernel.kstack.whereIs(oops?.sp ?? 0)?.kind).toBe('guard-page');
    const frames = (oops?.stack ?? []).map((l) => /^\[<0>\] (\w+)\+/.exec(l)?.[1]);
    expect(frames.length).toBeGreaterThan(10);
    // The NIC's receive path, nested on the md-raid write path it interrupted.
    expect(frames).toContain('ip_rcv');
    expect(frames.indexOf('e1000_intr')).toBeGreaterThan(frames.indexOf('ip_rcv'));
    expect(frames).toContain('common_interrupt');
    expect(frames.indexOf('common_interrupt')).toBeGreaterThan(frames.indexOf('e1000_intr'));
    expect(frames.indexOf('raid1_write_request')).toBeGreaterThan(frames.indexOf('common_interrupt'));
  });

  it('prints the same frames in the irq-nesting scenario’s narration', () => {
    const vmap = runScenario('irq-nesting').runs.find((r) => r.os === 'vmap-4k');
    const trace = vmap?.narration.slice((vmap?.narration.indexOf('  Call Trace:') ?? 0) + 1) ?? [];
    expect(trace[0]).toMatch(/^ {4}\[<0>\] \w+\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
    expect(trace.some((l) => l.includes('e1000_intr'))).toBe(true);
  });
});
