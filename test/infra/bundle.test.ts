import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './bicepParser.js';

interface BundleResult {
  outDir: string;
  definitions: { name: string; exportName: string; trigger: { type: string }; module: number }[];
  files: string[];
  bytes: number;
  packages: Record<string, [string, number][]>;
  inputs: string[];
}

/** Runs `script` in a fresh Node process outside the Functions worker and returns its stdout. */
function node(script: string): string {
  const env = { ...process.env };
  delete env['FUNCTIONS_WORKER_RUNTIME'];
  return execFileSync(process.execPath, ['-e', script], { cwd: ROOT, env, encoding: 'utf8' });
}

const functionNames = readdirSync(join(ROOT, 'functions'))
  .filter((f) => f.endsWith('.ts'))
  .flatMap((f) =>
    [...readFileSync(join(ROOT, 'functions', f), 'utf8').matchAll(/^\s+name: '([A-Za-z0-9_-]+)',$/gm)].map((m) => m[1]!),
  )
  .sort();

describe('Deployment bundle (scripts/bundle.mjs)', () => {
  let dir: string;
  let result: BundleResult;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bundle-test-'));
    const script = `import(${JSON.stringify(join(ROOT, 'scripts', 'bundle.mjs'))})
      .then((m) => m.bundle({ out: ${JSON.stringify(join(dir, 'out'))}, functions: ${JSON.stringify(join(ROOT, 'functions'))}, quiet: true }))
      .then((r) => process.stdout.write(JSON.stringify(r)))`;
    result = JSON.parse(node(script)) as BundleResult;
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('registers one definition per function file, under the name the file exports', () => {
    expect(result.definitions.map((d) => d.name).sort()).toEqual(functionNames);
    const loaded = JSON.parse(
      node(`process.stdout.write(JSON.stringify(require(${JSON.stringify(join(result.outDir, 'index.js'))}).functionDefinitions))`),
    ) as { name: string; trigger: { type: string } }[];
    expect(loaded.map((d) => d.name).sort()).toEqual(functionNames);
  });

  it('loads every function definition, with its handler, from the functions bundle', () => {
    const names = JSON.parse(
      node(
        `const m = require(${JSON.stringify(join(result.outDir, 'index.js'))});
         process.stdout.write(JSON.stringify(m.loadAll().map((d) => typeof d.handler === 'function' ? d.name : null)))`,
      ),
    ) as (string | null)[];
    expect(names.sort()).toEqual(functionNames);
  });

  it('loads neither the functions bundle nor any Azure SDK when the entry loads', () => {
    const loaded = JSON.parse(
      node(
        `require(${JSON.stringify(join(result.outDir, 'index.js'))});
         process.stdout.write(JSON.stringify(Object.keys(require.cache)))`,
      ),
    ) as string[];
    expect(loaded).toContain(join(result.outDir, 'index.js'));
    expect(loaded).not.toContain(join(result.outDir, 'functions.js'));
    expect(result.packages['index']!.map(([p]) => p).filter((p) => p.startsWith('@azure/') && p !== '@azure/functions' && !p.startsWith('@azure/functions-'))).toEqual([]);
  });

  it('ships no test, emulator or local-host code and no dependency to install', () => {
    expect(result.inputs.filter((p) => !p.startsWith('functions/') && !p.startsWith('src/') && p !== 'bundle-entry.ts')).toEqual([]);
    expect(result.inputs.filter((p) => p.startsWith('src/local/') || p.startsWith('test/'))).toEqual([]);
    expect(result.inputs).toContain('functions/keyNewVersionCreated.ts');
    const bundledPackages = new Set(Object.values(result.packages).flatMap((pkgs) => pkgs.map(([p]) => p)));
    for (const testOnly of ['mockttp', 'vitest', '@vitest/runner']) expect(bundledPackages.has(testOnly)).toBe(false);
    expect(result.files.some((f) => f.endsWith('.map'))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(result.outDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg['main']).toBe('index.js');
    expect(pkg['dependencies']).toBeUndefined();
    expect(existsSync(join(result.outDir, 'host.json'))).toBe(true);
    expect(existsSync(join(result.outDir, 'node_modules'))).toBe(false);
  });

  it('stays small', () => {
    expect(result.bytes).toBeLessThan(8 * 1024 * 1024);
  });
});
