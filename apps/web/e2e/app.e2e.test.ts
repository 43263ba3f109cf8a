import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createTraceHeader } from '@ossim/eventlog';
import { createKernel, defineOs, viewTaskInfos, type Workload } from '@ossim/kernel';
import { formatPsELf } from '@ossim/trace';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// What the CLI runs for `ossim ps -f --at` and `ossim stack --at`: its own functions.
import { machineAt } from '../../demo/src/commands/stack.ts';
import { parseMoment, viewAt } from '../../demo/src/commands/views.ts';
import { SCENARIO_SEED, SCENARIO_UNTIL_NS, SCENARIOS, scenarioRuns } from '../src/scenarios.ts';
import { launch, serveDist, settled } from './browser.ts';

const root = join(import.meta.dirname, '..');
const artifacts = join(root, 'test-results');
const fixtures = join(import.meta.dirname, 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'ossim-web-e2e-'));
mkdirSync(artifacts, { recursive: true });

let server: Awaited<ReturnType<typeof serveDist>>;
let browser: Awaited<ReturnType<typeof launch>>;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  server = await serveDist(join(root, 'dist'));
  browser = await launch();
  page = browser.page;
  page.on('pageerror', (e) => errors.push(e.message));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? '';

async function openFile(path: string): Promise<void> {
  await page.evaluate(() => {
    delete document.body.dataset.loaded;
    delete document.body.dataset.shown;
  });
  await page.setInputFiles('#file', path);
  await settled(page);
}

async function moveTo(seq: number): Promise<void> {
  await page.fill('#seq', String(seq));
  await page.press('#seq', 'Enter');
  await page.waitForFunction((s) => document.body.dataset.shown?.split(':')[0] === String(s), seq, { timeout: 60_000 });
}

async function pickThread(tid: number): Promise<void> {
  await page.selectOption('#thread', String(tid));
  await page.waitForFunction((t) => document.body.dataset.shown?.split(':')[2] === String(t), tid, { timeout: 60_000 });
}

/** A recording as `ossim run --record` writes it (header with the inputs, one event per line), gzipped. */
function record(name: string, os: ReturnType<typeof defineOs>, workload: Workload): string {
  const lines = [JSON.stringify(createTraceHeader('0.1.0', { os, workload, seed: SCENARIO_SEED, untilNs: SCENARIO_UNTIL_NS }))];
  createKernel({ os, workload, seed: SCENARIO_SEED, attach: (log) => log.listen((e) => lines.push(JSON.stringify(e))) }).run({
    until: SCENARIO_UNTIL_NS,
  });
  const path = join(tmp, name);
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
  return path;
}

describe('ossim in the browser', () => {
  it('opens on single-stack; at the oops the stack view shows the overwritten return address', async () => {
    await page.goto(`${server.url}?scenario=single-stack`);
    await settled(page);
    expect(await text('#status')).toMatch(/single-stack on single-stack: \d+ events.*outcome oops/);
    // Find the oops with the event list's search, then look at the writer's stack there.
    await page.click('#tab-tasks');
    await page.fill('#event-search', 'kernel.oops');
    await page.fill('#seq', '1');
    await page.press('#seq', 'Enter');
    await page.waitForFunction(() => document.body.dataset.shown?.startsWith('1:'));
    await page.click('text=next match ▶');
    await page.waitForFunction(() => document.body.dataset.shown?.split(':')[0] === document.body.dataset.events);
    expect(await text('#where')).toContain('kernel.oops');
    await page.click('#tab-stacks');
    await pickThread(3);
    const overwritten = await page.locator('#panel-stacks tr.k-overwritten').allTextContents();
    expect(overwritten.length).toBeGreaterThan(0);
    expect(overwritten.join('\n')).toMatch(
      /overwritten: tid 3 left the return address 0x[0-9a-f]{8} \w+\+0x[0-9a-f]+\/0x[0-9a-f]+ here at seq \d+; now 0x[0-9a-f]{8}/,
    );
    expect(await text('#panel-stacks .oops')).toMatch(/kernel oops at seq \d+: invalid opcode/);
    await page.locator('#panel-stacks tr.k-overwritten').first().scrollIntoViewIfNeeded();
    await shot('single-stack-oops');
    // The link holds the moment: opening it comes back to the same seq, thread and view.
    await page.waitForFunction(() => /tid=3/.test(location.search));
    const link = page.url();
    expect(link).toMatch(/scenario=single-stack.*seq=\d+.*tid=3/);
    const seq = await page.evaluate(() => document.body.dataset.seq);
    await page.goto(`${server.url}?scenario=single-stack&seq=40&tid=4&view=tasks`);
    await settled(page);
    expect(await text('#where')).toMatch(/^seq 40 of/);
    expect(await page.getAttribute('#tab-tasks', 'aria-selected')).toBe('true');
    await page.goto(link);
    await settled(page);
    expect(await page.evaluate(() => document.body.dataset.seq)).toBe(seq);
  });

  it('every view works on every scenario run', async () => {
    for (const scenario of SCENARIOS) {
      const runs = scenarioRuns(scenario);
      for (let run = 0; run < runs.length; run++) {
        await page.goto(`${server.url}?scenario=${scenario}&run=${run}`);
        await settled(page);
        expect(await text('#error')).toBe('');
        const n = Number(await page.evaluate(() => document.body.dataset.events));
        await moveTo(Math.floor(n / 2));
        const stacks = await page.locator('#panel-stacks table.mem').count();
        if (stacks === 0) expect(await text('#panel-stacks .no-thread')).toMatch(/does not exist at seq/);
        await page.click('#tab-space');
        expect(await text('#panel-space')).toContain('kernel half');
        await page.click('#tab-tasks');
        expect(await text('[data-testid=ps]')).toMatch(/UID\s+PID\s+PPID\s+LWP/);
        await page.click('#tab-stacks');
        if (scenario === 'irq-nesting') {
          await moveTo(n);
          await pickThread(3);
          const notes = await text('#panel-stacks .notes');
          expect(notes).toMatch(run === 0 ? /current is garbage/ : run === 2 ? /guard-page/ : /current is right/);
          if (run !== 1) await shot(`irq-nesting-${runs[run]?.label}`);
        }
      }
    }
    expect(errors).toEqual([]);
  });

  it('opens a recording; scrubbing, ps and the stack agree with ossim ps and ossim stack at the same seq', async () => {
    const run = scenarioRuns('preempt-in-kernel')[1];
    if (run === undefined) throw new Error('no run');
    const path = record('preempt-x86_64.ndjson.gz', run.os, run.workload);
    await page.goto(server.url);
    await settled(page);
    await openFile(path);
    expect(await text('#status')).toMatch(/preempt-x86_64\.ndjson\.gz: \d+ events/);
    const n = Number(await page.evaluate(() => document.body.dataset.events));
    await page.click('#tab-tasks');
    for (const seq of [Math.floor(n / 4), Math.floor(n / 2), n - 3, Math.floor(n / 3)]) {
      // Scrub there with the range input, as a user drags it.
      await page.evaluate((s) => {
        const r = document.getElementById('scrub') as HTMLInputElement;
        r.value = String(s);
        r.dispatchEvent(new Event('input'));
      }, seq);
      await page.waitForFunction((s) => document.body.dataset.shown?.split(':')[0] === String(s), seq);
      if ((await page.locator('#thread option[value="3"]').count()) > 0) await pickThread(3);
      const view = await viewAt(path, parseMoment(String(seq)));
      const ps = formatPsELf(viewTaskInfos(view), { nowNs: view.time });
      expect(await text('[data-testid=ps]')).toBe(ps.endsWith('\n') ? ps : `${ps}\n`);
      if (view.tasks['3'] !== undefined) {
        const { kernel } = await machineAt(path, String(seq), 3);
        const frames = kernel.stackTrace(3);
        expect(await text('[data-testid=tasks-proc-stack]')).toBe(frames.length === 0 ? '(empty)' : `${frames.join('\n')}\n`);
      }
    }
    await shot('recording-tasks');
    // Step by system call and context switch from the keyboard.
    await page.click('#tab-stacks');
    await page.focus('#controls');
    const before = Number(await page.evaluate(() => document.body.dataset.seq));
    await page.keyboard.press(']');
    await page.keyboard.press('Shift+ArrowRight');
    await page.waitForFunction((b) => Number(document.body.dataset.seq) > b, before);
    expect(await text('#where')).toMatch(/syscall\.(enter|exit)/);
  });

  it('opens both real strace logs and runs them', async () => {
    for (const name of ['gzip.strace', 'shell-jobs.strace']) {
      await openFile(join(fixtures, name));
      expect(await text('#error')).toBe('');
      expect(await text('#status')).toMatch(
        new RegExp(`${name.replace('.', '\\.')} on x86_64: [\\d,]+ events.*outcome ok.*tids \\(log -> run\\)`),
      );
      await page.click('#tab-tasks');
      const ps = await text('[data-testid=ps]');
      expect(ps).toMatch(name === 'gzip.strace' ? /gzip/ : /sh|sleep/);
      await page.click('#tab-space');
      expect(await text('#panel-space')).toContain('identical to swapper_pg_dir');
      await page.locator('#panel-space table.regions button').first().click();
      await page.waitForFunction(() => document.querySelector('[data-testid=walk] pre') !== null);
      expect(await text('[data-testid=walk]')).toMatch(/PDE index = vaddr >> 22/);
      await shot(`strace-${name.replace('.strace', '')}`);
      await page.click('#tab-stacks');
      // The stacks of the log's first process, as memory, and its /proc stack.
      expect(await text('#panel-stacks')).toMatch(/Kernel stack/);
      expect(await page.locator('#panel-stacks table.mem tbody tr').count()).toBeGreaterThan(3);
      // The same log on two variants.
      await page.click('#tab-compare');
      await page.click('#compare-run');
      await page.waitForSelector('table.compare');
      expect(await text('table.compare')).toMatch(/context switches/);
      await page.click('#tab-stacks');
    }
  });

  it('takes a dropped file; steps by instruction; a click on the timeline moves the cursor', async () => {
    await page.evaluate(() => {
      delete document.body.dataset.loaded;
      delete document.body.dataset.shown;
    });
    const content = readFileSync(join(fixtures, 'shell-jobs.strace'), 'utf8');
    const data = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'shell-jobs.strace', { type: 'text/plain' }));
      return dt;
    }, content);
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: data });
    await settled(page);
    expect(await text('#status')).toMatch(/^shell-jobs\.strace on x86_64/);
    // Three instructions after an event, on the selected thread's CPU.
    await moveTo(100);
    await page.focus('#controls');
    for (let i = 0; i < 3; i++) await page.keyboard.press('.');
    await page.waitForFunction(() => document.body.dataset.shown?.startsWith('100:3:'));
    expect(await text('#where')).toContain('+ 3 instruction(s)');
    expect(await text('#panel-stacks .executed')).toMatch(/3 instruction\(s\) executed after seq 100/);
    await page.keyboard.press(',');
    await page.waitForFunction(() => document.body.dataset.shown?.startsWith('100:2:'));
    // A click in the middle of the timeline.
    const box = await page.locator('.timeline-canvas').boundingBox();
    if (box === null) throw new Error('no timeline');
    await page.mouse.click(box.x + 150 + (box.width - 150) / 2, box.y + 10);
    await page.waitForFunction(
      () =>
        document.body.dataset.shown !== undefined &&
        document.body.dataset.shown.split(':')[0] === document.body.dataset.seq &&
        document.body.dataset.seq !== '100',
    );
    expect(await text('.lanes-now caption')).toMatch(/lanes at .* \(seq \d+\)/);
  });

  it('shows the CLI’s line-numbered errors for bad files', async () => {
    const good = readFileSync(
      record('ok.ndjson.gz', scenarioRuns('zombie')[0]?.os ?? defineOs({}), scenarioRuns('zombie')[0]?.workload as Workload),
    );
    const lines = (await new Response(new Blob([good]).stream().pipeThrough(new DecompressionStream('gzip'))).text()).trimEnd().split('\n');
    const broken = join(tmp, 'broken.ndjson');
    writeFileSync(broken, `${[...lines.slice(0, 3), ...lines.slice(4)].join('\n')}\n`);
    await openFile(broken);
    expect(await text('#error')).toBe('broken.ndjson:4: seq jumps from 2 to 4 (event 3 is missing)');
    const bad = join(tmp, 'bad.strace');
    writeFileSync(bad, 'execve("/bin/true", ["true"], 0x7ffd /* 1 var */) = 0\nthis is not strace\n');
    await openFile(bad);
    expect(await text('#error')).toMatch(/^bad\.strace:2: /);
    await shot('bad-file');
  });

  it('compares two variants on the same inputs, and plays', async () => {
    await page.goto(`${server.url}?scenario=preempt-in-kernel`);
    await settled(page);
    await page.click('#tab-compare');
    await page.click('#compare-run');
    await page.waitForSelector('table.compare');
    const table = await text('table.compare');
    expect(table).toMatch(/A: i386.*B: x86_64/);
    expect(table).toMatch(/context switches/);
    await shot('compare');
    await page.click('#to-start');
    await page.click('#play');
    await page.waitForFunction(() => Number(document.body.dataset.seq) > 50);
    await page.click('#play');
    expect(errors).toEqual([]);
  });
});
