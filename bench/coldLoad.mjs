#!/usr/bin/env node
/**
 * Cold load of the deployment bundle against the same SDKs loaded unbundled from node_modules.
 *
 * Each sample is a fresh `node -e "require(...)"` process (what a cold Flex Consumption instance pays before the first
 * invocation), timed from spawn to exit; N runs per case, median and p90.
 *
 * Cases:
 *   bundled entry        require(dist-bundle/index.js): what the worker loads at start (registrations only)
 *   bundled, all loaded  the entry plus every function bundle (an instance that has run every trigger)
 *   unbundled SDKs       require() of each Azure SDK the bundles contain, from node_modules
 *   unbundled dist       require() of dist/functions/*.js from `npm run build` (when present)
 *   node baseline        `node -e ""` (process start alone; subtracted in the "net" column)
 *
 * Target: bundled entry <= 85% of unbundled SDKs (raw times, the stricter comparison).
 * Usage: node bench/coldLoad.mjs [--runs 15] [--functions <dir>] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_RATIO = 0.85;

function parseArgs(argv) {
  const args = { runs: 15, functions: join(root, 'functions'), json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--functions') args.functions = resolve(argv[++i]);
    else if (a === '--json') args.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs takes a positive integer');
  return args;
}

/** Percentile by nearest rank. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function timeOnce(script, cwd) {
  const env = { ...process.env };
  // Outside the worker: register() is a no-op, as in the probe of scripts/bundle.mjs.
  delete env.FUNCTIONS_WORKER_RUNTIME;
  delete env.NODE_OPTIONS;
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`case failed (${r.status}): ${script}\n${r.stderr}`);
  return ms;
}

function measure(name, script, runs, cwd) {
  timeOnce(script, cwd); // warm the OS file cache; the first sample is discarded
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(timeOnce(script, cwd));
  samples.sort((a, b) => a - b);
  return { name, runs, median: percentile(samples, 50), p90: percentile(samples, 90), samples };
}

/** Azure SDK packages (package.json dependencies) that the function bundles contain. */
function sdksInBundle(packages) {
  const deps = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {});
  const inBundle = new Set(
    Object.entries(packages)
      .filter(([name]) => name !== 'index')
      .flatMap(([, pkgs]) => pkgs.map(([p]) => p)),
  );
  return deps.filter((d) => inBundle.has(d));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const out = mkdtempSync(join(tmpdir(), 'cold-load-'));
  try {
    const built = await bundle({ out: join(out, 'bundle'), functions: args.functions, quiet: true });
    const entry = join(built.outDir, 'index.js');
    const sdks = sdksInBundle(built.packages);
    const req = (p) => `require(${JSON.stringify(p)});`;

    const cases = [
      measure('node baseline', '', args.runs, root),
      measure('bundled entry', req(entry), args.runs, root),
      measure('bundled, all loaded', `require(${JSON.stringify(entry)}).loadAll();`, args.runs, root),
      measure(`unbundled SDKs (${sdks.join(', ')})`, sdks.map(req).join(''), args.runs, root),
    ];
    const distFunctions = join(root, 'dist', 'functions');
    if (existsSync(distFunctions)) {
      const files = readdirSync(distFunctions).filter((f) => f.endsWith('.js')).map((f) => join(distFunctions, f));
      if (files.length > 0) cases.push(measure('unbundled dist/functions/*.js', files.map(req).join(''), args.runs, root));
    }

    const base = cases[0].median;
    const [, entryCase, allCase, sdkCase] = cases;
    const ratio = entryCase.median / sdkCase.median;
    const ratioAll = allCase.median / sdkCase.median;
    const result = {
      node: process.version,
      runs: args.runs,
      bundleBytes: built.bytes,
      sdks,
      cases: cases.map(({ name, median, p90 }) => ({ name, median, p90, netMedian: median - base })),
      ratioEntryToSdks: ratio,
      ratioAllLoadedToSdks: ratioAll,
      target: TARGET_RATIO,
      pass: ratio <= TARGET_RATIO,
    };
    if (args.json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      console.log(`cold load, ${args.runs} fresh processes per case, ${process.version}, bundle ${(built.bytes / 1024).toFixed(0)} KiB`);
      console.log(`${'case'.padEnd(72)} ${'median'.padStart(9)} ${'p90'.padStart(9)} ${'net'.padStart(9)}`);
      for (const c of result.cases) {
        console.log(
          `${c.name.padEnd(72)} ${c.median.toFixed(1).padStart(7)}ms ${c.p90.toFixed(1).padStart(7)}ms ${c.netMedian.toFixed(1).padStart(7)}ms`,
        );
      }
      console.log(`bundled entry / unbundled SDKs:       ${(ratio * 100).toFixed(1)}% (target <= ${TARGET_RATIO * 100}%) ${result.pass ? 'PASS' : 'FAIL'}`);
      console.log(`bundled all loaded / unbundled SDKs:  ${(ratioAll * 100).toFixed(1)}%`);
    }
    process.exitCode = result.pass ? 0 : 1;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
