/**
 * The layer rules of eslint.config.mjs as ESLint applies them. In flat config a later block that sets
 * `no-restricted-imports` for the same files silently replaces an earlier one, so this reads the effective
 * config of a file in each layer and fails when a pattern is lost.
 */
import { ESLint, type Linter } from 'eslint';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

/** The import groups each layer must refuse. */
const SDK = ['@azure/*'];
const ADAPTERS = ['**/azure/**', '**/functionsHost/**', '**/cli/**', '**/compositionRoot*', '**/functions/**'];
const LOCAL = ['**/local/**', '@sql-key-rotation/local-azure', '@sql-key-rotation/local-azure/**'];
const CONFIG_AND_APP = ['**/config/**', '**/app/**'];
const APP = ['**/src/**', '**/functions/**', '**/bench/**', '**/test/**', 'sql-tde-key-rotation'];

const LAYERS: readonly { readonly file: string; readonly refuses: readonly string[] }[] = [
  { file: 'src/domain/keyId.ts', refuses: [...SDK, ...ADAPTERS, ...LOCAL, ...CONFIG_AND_APP] },
  { file: 'src/app/ports.ts', refuses: [...SDK, ...ADAPTERS, ...LOCAL] },
  { file: 'src/azure/toRotationError.ts', refuses: LOCAL },
  { file: 'src/config/loadConfig.ts', refuses: LOCAL },
  { file: 'src/cli/runCli.ts', refuses: LOCAL },
  { file: 'src/functionsHost/functionDefinition.ts', refuses: LOCAL },
  { file: 'src/compositionRoot.ts', refuses: LOCAL },
  { file: 'functions/rotationWorker.ts', refuses: LOCAL },
  { file: 'packages/local-azure/src/index.ts', refuses: APP },
  { file: 'packages/local-azure/src/emulator/startEmulator.ts', refuses: APP },
];

/** The `group` entries of the file's effective `no-restricted-imports` patterns. */
async function refusedGroups(eslint: ESLint, file: string): Promise<string[]> {
  const config = (await eslint.calculateConfigForFile(join(ROOT, file))) as { rules?: Record<string, unknown> };
  const rule = config.rules?.['no-restricted-imports'];
  if (!Array.isArray(rule)) return [];
  const options = rule.slice(1) as { patterns?: { group?: string[] }[] }[];
  return options.flatMap((o) => (o.patterns ?? []).flatMap((p) => p.group ?? []));
}

describe('Lint: layer boundaries', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: ROOT });
  });

  it.each(LAYERS)('refuses in $file the imports its layer may not make', async ({ file, refuses }) => {
    // Act
    const groups = await refusedGroups(eslint, file);

    // Assess
    expect(groups).toEqual(expect.arrayContaining([...refuses]));
  });

  it('sets the rule to error in every layer', async () => {
    for (const { file } of LAYERS) {
      const config = (await eslint.calculateConfigForFile(join(ROOT, file))) as { rules?: Record<string, unknown[]> };
      expect([2, 'error'], file).toContain(config.rules?.['no-restricted-imports']?.[0]);
    }
  });

  it('lets the local host, the benchmarks and the tests import src/local and the emulator package', async () => {
    for (const file of ['src/local/start.ts', 'src/local/demo/startDemo.ts', 'bench/coldLoad.ts', 'test/lint/boundaries.test.ts']) {
      const groups = await refusedGroups(eslint, file);
      expect(groups, file).not.toContain('**/local/**');
      expect(groups, file).not.toContain('@sql-key-rotation/local-azure');
    }
  });

  it.each([
    ['src/domain/probe.ts', "import type { AppConfig } from '../config/appConfig.js';"],
    ['src/domain/probe.ts', "import type { Notifier } from '../app/ports.js';"],
    ['src/app/probe.ts', "import { ArmSqlServerKeys } from '../azure/armSqlServerKeys.js';"],
    ['src/app/probe.ts', "import { SqlManagementClient } from '@azure/arm-sql';"],
    ['src/cli/probe.ts', "import { startLocalHost } from '../local/host/localHost.js';"],
    ['src/cli/probe.ts', "import { startEmulator } from '@sql-key-rotation/local-azure';"],
    ['src/azure/probe.ts', "import type { RunningEmulator } from '@sql-key-rotation/local-azure';"],
    ['functions/probe.ts', "import { demoEstate } from '@sql-key-rotation/local-azure';"],
    ['packages/local-azure/src/emulator/probe.ts', "import { loadConfig } from '../../../../src/config/loadConfig.js';"],
    ['packages/local-azure/src/probe.ts', "import type { FunctionDefinition } from '../../../src/functionsHost/functionDefinition.js';"],
    ['packages/local-azure/src/probe.ts', "import { makeRotationWorker } from '../../../functions/rotationWorker.js';"],
  ])('reports in %s: %s', async (file, line) => {
    // Prepare: lint with nothing but the file's effective rule, so the probe needs no type information
    const config = (await eslint.calculateConfigForFile(join(ROOT, file))) as { rules?: Record<string, unknown> };
    const probe = new ESLint({
      cwd: ROOT,
      overrideConfigFile: true,
      overrideConfig: { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules: { 'no-restricted-imports': config.rules?.['no-restricted-imports'] as Linter.RuleEntry } },
    });

    // Act
    const [result] = await probe.lintText(`${line}\n`, { filePath: join(ROOT, file) });

    // Assess
    expect(result?.messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
  });
});
