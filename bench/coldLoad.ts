/**
 * Cold load of the deployment bundle against the same SDKs loaded unbundled from node_modules.
 *
 * Each sample is a fresh `node -e "require(...)"` process (what a cold Flex Consumption instance pays before the
 * first invocation), timed from spawn to exit; N runs per case (15 by default), median and p90.
 *
 * Cases:
 *   node baseline         `node -e ""` (process start alone; subtracted in the "net" column)
 *   bundled entry         require(index.js) of the bundle: what the worker loads at start (registrations only)
 *   bundled, all loaded   the entry plus every function bundle (an instance that has run every trigger)
 *   unbundled SDKs        require() of each Azure SDK dependency the function bundles contain, from node_modules
 *   unbundled dist        require() of dist/functions/*.js from `npm run build` (present when this runs)
 *
 * Target: bundled entry <= 85% of unbundled SDKs (raw times, the stricter comparison). Exit code 1 when missed.
 * Run: npm run build && node dist/bench/coldLoad.js [--runs 15] [--functions <dir>] [--json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const TARGET_RATIO = 0.85;

interface BundleResult {
  readonly outDir: string;
  readonly bytes: number;
  readonly packages: Readonly<Record<string, readonly (readonly [string, number])[]>>;
}

/** One measured case. */
export interface CaseResult {
  readonly name: string;
  readonly median: number;
  readonly p90: number;
}

/** The repository root: the nearest ancestor holding scripts/bundle.mjs (works from bench/ and dist/bench/). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'scripts', 'bundle.mjs'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('scripts/bundle.mjs not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}

/** Percentile by nearest rank over ascending samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Outside the worker: register() is a no-op, as in the probe of scripts/bundle.mjs.
  delete env['FUNCTIONS_WORKER_RUNTIME'];
  delete env['NODE_OPTIONS'];
  return env;
}

function timeOnce(script: string, cwd: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', script], { cwd, env: cleanEnv(), encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`case failed (${String(r.status)}): ${script}\n${r.stderr}`);
  return ms;
}

function measure(name: string, script: string, runs: number, cwd: string): CaseResult {
  timeOnce(script, cwd); // warms the OS file cache; discarded
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(timeOnce(script, cwd));
  samples.sort((a, b) => a - b);
  return { name, median: percentile(samples, 50), p90: percentile(samples, 90) };
}

function parseArgs(argv: readonly string[], root: string): { runs: number; functions: string; json: boolean } {
  const args = { runs: 15, functions: join(root, 'functions'), json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--functions') args.functions = resolve(argv[++i] ?? '');
    else if (a === '--json') args.json = true;
    else throw new Error(`unknown argument ${String(a)}`);
  }
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs takes a positive integer');
  return args;
}

function main(): void {
  const root = repoRoot();
  const args = parseArgs(process.argv.slice(2), root);
  const tmp = mkdtempSync(join(tmpdir(), 'cold-load-'));
  try {
    const built = JSON.parse(
      execFileSync(
        process.execPath,
        [join(root, 'scripts', 'bundle.mjs'), '--out', join(tmp, 'bundle'), '--functions', args.functions, '--json'],
        { cwd: root, env: cleanEnv(), encoding: 'utf8' },
      ),
    ) as BundleResult;
    const entry = join(built.outDir, 'index.js');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const inFunctionBundles = new Set(
      Object.entries(built.packages)
        .filter(([name]) => name !== 'index')
        .flatMap(([, pkgs]) => pkgs.map(([p]) => p)),
    );
    const sdks = Object.keys(pkg.dependencies ?? {}).filter((d) => inFunctionBundles.has(d));
    const req = (p: string): string => `require(${JSON.stringify(p)});`;

    const cases: CaseResult[] = [
      measure('node baseline', '', args.runs, root),
      measure('bundled entry', req(entry), args.runs, root),
      measure('bundled, all loaded', `require(${JSON.stringify(entry)}).loadAll();`, args.runs, root),
      measure(`unbundled SDKs (${sdks.length} packages)`, sdks.map(req).join(''), args.runs, root),
    ];
    const distFunctions = join(root, 'dist', 'functions');
    if (existsSync(distFunctions)) {
      const files = readdirSync(distFunctions)
        .filter((f) => f.endsWith('.js'))
        .map((f) => join(distFunctions, f));
      if (files.length > 0) cases.push(measure('unbundled dist/functions/*.js', files.map(req).join(''), args.runs, root));
    }

    const [baseline, entryCase, allCase, sdkCase] = cases as [CaseResult, CaseResult, CaseResult, CaseResult];
    const ratio = entryCase.median / sdkCase.median;
    const ratioAll = allCase.median / sdkCase.median;
    const pass = ratio <= TARGET_RATIO;
    if (args.json) {
      console.log(
        JSON.stringify(
          { node: process.version, runs: args.runs, bundleBytes: built.bytes, sdks, cases, ratio, ratioAll, pass },
          null,
          2,
        ),
      );
    } else {
      console.log(
        `cold load, ${args.runs} fresh processes per case, ${process.version}, bundle ${(built.bytes / 1024).toFixed(0)} KiB`,
      );
      console.log(`unbundled SDKs: ${sdks.join(', ')}`);
      console.log(`${'case'.padEnd(34)} ${'median'.padStart(9)} ${'p90'.padStart(9)} ${'net'.padStart(9)}`);
      for (const c of cases) {
        const cells = [c.median, c.p90, c.median - baseline.median].map((v) => `${v.toFixed(1).padStart(7)}ms`);
        console.log(`${c.name.padEnd(34)} ${cells.join(' ')}`);
      }
      console.log(
        `bundled entry / unbundled SDKs: ${(ratio * 100).toFixed(1)}% (target <= ${TARGET_RATIO * 100}%) ${pass ? 'PASS' : 'FAIL'}`,
      );
      console.log(`bundled all loaded / unbundled SDKs: ${(ratioAll * 100).toFixed(1)}%`);
    }
    process.exitCode = pass ? 0 : 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
