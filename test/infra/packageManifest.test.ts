/**
 * package.json says the truth about what runs where: `dependencies` are what the deployed functions (and the
 * CLI) import, bundled by scripts/bundle.mjs; the local host and the emulator (src/local, what `npm start` runs)
 * are development tooling, so what only they import is a devDependency; and `npm start` needs nothing but what
 * `npm ci` installed (prestart installs only on a fresh clone, so it works offline).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Packages a file imports at run time (type-only imports are erased by the compiler). */
function runtimePackages(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [
    ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
  ];
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

const production = [...tsFiles('functions'), ...tsFiles('src').filter((f) => !f.startsWith(join('src', 'local')))];
const local = tsFiles(join('src', 'local'));
/** Provided by the Functions worker at run time (scripts/bundle.mjs keeps it external). */
const WORKER_PROVIDED = new Set(['@azure/functions-core']);

describe('package.json', () => {
  it('lists in dependencies every package the deployed code imports', () => {
    // Act
    const missing = production.flatMap((f) =>
      runtimePackages(f)
        .filter((p) => !WORKER_PROVIDED.has(p) && pkg.dependencies[p] === undefined)
        .map((p) => `${f}: ${p}`),
    );

    // Assess
    expect(missing).toEqual([]);
  });

  it('keeps what only the local host and emulator import out of dependencies', () => {
    // Prepare
    const usedInProduction = new Set(production.flatMap(runtimePackages));

    // Act
    const localOnly = [...new Set(local.flatMap(runtimePackages))].filter((p) => !usedInProduction.has(p));

    // Assess
    expect(localOnly.length).toBeGreaterThan(0); // mockttp, croner
    for (const p of localOnly) {
      expect(pkg.dependencies[p], p).toBeUndefined();
      expect(pkg.devDependencies[p], p).toBeDefined();
    }
  });

  it('starts offline after npm ci: prestart installs only when nothing is installed', () => {
    // Prepare
    expect(pkg.scripts['prestart']).toBe('node scripts/ensureInstalled.mjs && npm run build');

    // Act: node_modules is installed here (the tests run)
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'ensureInstalled.mjs')], { encoding: 'utf8', env: { ...process.env, PATH: '' } });

    // Assess: no npm (PATH is empty) was needed
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^dependencies installed/);
  });
});
