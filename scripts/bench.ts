/**
 * `pnpm bench`: builds every package, then runs every package's benchmarks
 * (`packages/NAME/bench/WHAT.bench.ts`, and apps') against the built `dist`: what users run,
 * plain JavaScript from `tsc`, imported by package name. Prints a table with each metric's
 * target and merges the figures into `bench-results.json` at the repository root
 * (metric name -> number; metrics of other runs, e.g. the browser's, are kept).
 *
 * Each bench file runs in a process of its own, as `ossim` runs one workload per process: a
 * file's JIT type feedback (the event shapes its handlers saw, the closures its call sites
 * met) never slows the next file's code. And it runs on plain `node`, as `ossim` does: the
 * bench file (TypeScript) is bundled to JavaScript with esbuild first (packages stay
 * imports), since running it through tsx's loader slowed the code the simulator generates
 * at run time by 5-15%.
 *
 * Usage: pnpm bench [filter]   (filter: a substring of the bench file path)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type { Target } from './benchkit.ts';

const root = resolve(import.meta.dirname, '..');

/**
 * Package imports stay imports. The workspace's own packages are imported by absolute path
 * (their built `dist`, as Node would resolve them from the importing file): a bench that
 * bundles another app's bench file could not resolve that app's packages from its own
 * directory. Other packages are resolved from the bench file's directory.
 */
const packagesExternal: Plugin = {
  name: 'packages-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      if (!args.path.startsWith('@ossim/')) return { path: args.path, external: true };
      const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'inner' });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
};

/**
 * Bundles bench `file` with a runner into a plain ES module beside it (so its package
 * imports resolve as the file's would) and returns its path: run, it prints the figures
 * and targets on a line starting with `@@bench `.
 */
async function compile(file: string): Promise<string> {
  const out = join(dirname(file), `.${basename(file, '.ts')}.mjs`);
  await build({
    stdin: {
      contents: [
        `import bench from './${basename(file)}';`,
        'const results = await bench.run();',
        "process.stdout.write('\\n@@bench ' + JSON.stringify({ results, targets: bench.targets ?? {} }) + '\\n');",
        'process.exit(0);',
      ].join('\n'),
      resolveDir: dirname(file),
      sourcefile: 'bench-runner.ts',
      loader: 'ts',
    },
    bundle: true,
    plugins: [packagesExternal],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    logLevel: 'error',
  });
  return out;
}

const filter = process.argv[2];
const files = ['packages', 'apps']
  .flatMap((group) => (existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name, 'bench')) : []))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.bench.ts'))
      .sort()
      .map((f) => join(dir, f)),
  )
  .filter((f) => filter === undefined || f.includes(filter));

if (files.length === 0) {
  console.error(`bench: no benchmark file matches ${JSON.stringify(filter)}`);
  process.exit(2);
}

const results: Record<string, number> = {};
const targets: Record<string, Target> = {};
for (const file of files) {
  process.stderr.write(`bench: ${relative(root, file)} ...\n`);
  const compiled = await compile(file);
  const child = spawnSync(process.execPath, [compiled], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  rmSync(compiled, { force: true });
  const line = child.stdout.split('\n').find((l) => l.startsWith('@@bench '));
  if (child.status !== 0 || line === undefined) {
    process.stderr.write(child.stdout);
    console.error(`bench: ${relative(root, file)} failed (exit ${child.status})`);
    process.exit(1);
  }
  const one = JSON.parse(line.slice('@@bench '.length)) as { results: Record<string, number>; targets: Record<string, Target> };
  Object.assign(targets, one.targets);
  Object.assign(results, one.results);
  // What the bench printed besides its figures (e.g. the web bench's seeks).
  const rest = child.stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('@@bench '))
    .join('\n');
  if (rest !== '') process.stderr.write(`${rest}\n`);
}

const outPath = join(root, 'bench-results.json');
const previous = existsSync(outPath) ? (JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, number>) : {};
const merged = Object.fromEntries(Object.entries({ ...previous, ...results }).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(outPath, `${JSON.stringify(merged, null, 2)}\n`);

const fmt = (n: number): string => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toPrecision(4))));
const rows = Object.entries(results).map(([name, value]) => {
  const t = targets[name];
  const goal =
    t === undefined
      ? ''
      : [t.min === undefined ? '' : `>= ${fmt(t.min)}`, t.max === undefined ? '' : `<= ${fmt(t.max)}`].filter(Boolean).join(' ');
  const ok = t === undefined ? '' : (t.min === undefined || value >= t.min) && (t.max === undefined || value <= t.max) ? 'ok' : 'MISSED';
  return [name, fmt(value), goal, ok];
});
const widths = [0, 1, 2, 3].map((i) => Math.max(...[['metric', 'value', 'target', ''], ...rows].map((r) => (r[i] as string).length)));
const line = (r: string[]): string =>
  r
    .map((c, i) => (i === 1 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
    .join('  ')
    .trimEnd();
console.log(line(['metric', 'value', 'target', '']));
for (const r of rows) console.log(line(r));
console.log(`\nwrote ${relative(root, outPath)}`);
const missed = rows.filter((r) => r[3] === 'MISSED').length;
if (missed > 0) console.log(`${missed} metric(s) missed their target`);
