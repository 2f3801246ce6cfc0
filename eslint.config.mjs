import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** `no-restricted-imports` patterns, shared by the layer blocks below. */
export const NO_AZURE_SDK = { group: ['@azure/*'], message: 'src/domain and src/app import no Azure SDK: add a port in src/app/ports.ts.' };
export const NO_ADAPTERS = {
  group: ['**/azure/**', '**/functionsHost/**', '**/cli/**', '**/compositionRoot*', '**/functions/**'],
  message: 'src/domain and src/app import no adapter, host, CLI or composition root.',
};
export const NO_LOCAL = {
  group: ['**/local/**', '@sql-key-rotation/local-azure', '@sql-key-rotation/local-azure/**'],
  message: 'Only src/local (and bench, test) may know the local emulator (@sql-key-rotation/local-azure) and host.',
};
/** The emulator package stands alone: nothing of the app (its src, functions, bench or tests). */
export const NO_APP = {
  group: ['**/src/**', '**/functions/**', '**/bench/**', '**/test/**', 'sql-tde-key-rotation', 'sql-tde-key-rotation/**'],
  message: 'packages/local-azure imports nothing of the app: the app depends on the emulator, never the reverse.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'packages/*/dist/**', 'dist-bundle/**', 'node_modules/**', 'coverage/**', '.local-azure/**', 'eslint.config.mjs', 'scripts/**/*.mjs', 'bin/**', 'stryker.config.mjs', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Layer boundaries: one `no-restricted-imports` block per layer, and each file in exactly one of them (in flat
  // config a later block that sets the same rule for a file replaces the earlier one). test/lint/boundaries.test.ts
  // fails when the effective config of a layer loses a pattern.
  {
    // The domain is pure: no SDK, no adapter, no configuration, no use case.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_AZURE_SDK, NO_ADAPTERS, NO_LOCAL, { group: ['**/config/**', '**/app/**'], message: 'src/domain imports no configuration and no use case: move the type into src/domain.' }] }],
    },
  },
  {
    // The use cases know their ports, the domain and the configuration's types; no SDK, no adapter.
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_AZURE_SDK, NO_ADAPTERS, NO_LOCAL] }],
    },
  },
  {
    // Nothing outside src/local (and the benchmarks and tests that drive it) knows the emulator and local host exist.
    files: ['src/**/*.ts', 'functions/**/*.ts'],
    ignores: ['src/local/**', 'src/domain/**', 'src/app/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_LOCAL] }],
    },
  },
  {
    // The emulator package (its own tsconfig includes only its own files; this holds its sources in the app's lint).
    files: ['packages/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_APP] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
