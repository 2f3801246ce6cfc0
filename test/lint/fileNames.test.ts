/**
 * Every source file is named after its main export (STYLE.md: one file per job, named after its export), so that a
 * name found in an import says which file to open. A file passes when its name, compared without case and
 * underscores, is the name of one of its exports. The few files that are a module of several equal exports by
 * design are listed below with the reason; a file added to that list needs one too.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

/** Files that hold several exports of equal rank, and why. */
const MODULES: Readonly<Record<string, string>> = {
  'src/app/ports.ts': 'the ports of the use cases, one interface each (the Azure SDK convention of one models file)',
  'src/domain/errors.ts': 'the error classes and the closed union of error codes they carry',
  'src/domain/armId.ts': 'the ARM id types of every target kind and their parsers',
  'src/config/settings.ts': 'every app-setting name and default, in one place',
  'src/compositionRoot.ts': 'the composition root: createServices and the dependencies each use case gets from it',
  'src/cli/commands/syncAgentsCommand.ts': 'the two subcommands of `sync-agents` (status, rotate) and their JSON shapes',
  'src/local/start.ts': 'the entry point of `npm start` (main)',
  'packages/local-azure/src/index.ts': "the emulator package's entry point",
  'packages/local-azure/src/emulator/syncAgentSimulation.ts': 'the simulated SQL Data Sync agents: key generation, pickup and liveness',
  'bench/rotateManyServers.ts': 'entry point of `npm run bench`',
  'bench/coldLoad.ts': 'entry point of `npm run bench:coldload`',
  'bench/benchInstance.ts': 'entry point of one benchmark instance process (a child of rotateManyServers)',
};

const EXPORT = /^export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|const|let|class|type|interface|enum)\s+([A-Za-z0-9_$]+)/gm;

const normal = (name: string): string => name.replace(/_/g, '').toLowerCase();

function sourceFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'functions', 'bench', 'packages/local-azure/src'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return out.split('\n').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
}

/** The files whose name is none of their exports, and are not listed as modules. */
function misnamed(files: readonly { readonly path: string; readonly text: string }[], modules: Readonly<Record<string, string>>): string[] {
  return files
    .filter((f) => modules[f.path] === undefined)
    .filter((f) => {
      const names = [...f.text.matchAll(EXPORT)].map((m) => normal(m[1] ?? ''));
      return !names.includes(normal(basename(f.path, '.ts')));
    })
    .map((f) => f.path);
}

describe('Source file names', () => {
  it('finds the source files (the rule below would pass on an empty list)', () => {
    expect(sourceFiles().length).toBeGreaterThan(150);
  });

  it('names every source file after one of its exports, or lists it as a module with a reason', () => {
    // Prepare
    const files = sourceFiles().map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));

    // Act
    const wrong = misnamed(files, MODULES);

    // Assess
    expect(wrong).toEqual([]);
  });

  it('lists no module that no longer exists', () => {
    const files = new Set(sourceFiles());

    expect(Object.keys(MODULES).filter((m) => !files.has(m))).toEqual([]);
  });

  it('catches a file named after no export, and accepts a constant named in capitals', () => {
    const wrong = misnamed(
      [
        { path: 'src/app/backoff.ts', text: 'export function nextDelayMs(): number {\n  return 0;\n}\n' },
        { path: 'src/app/noNotifier.ts', text: 'export const NO_NOTIFIER = {};\n' },
        { path: 'src/app/listed.ts', text: 'export const a = 1;\n' },
      ],
      { 'src/app/listed.ts': 'a test module' },
    );

    expect(wrong).toEqual(['src/app/backoff.ts']);
  });
});
