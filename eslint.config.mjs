import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bundle/**', 'node_modules/**', 'coverage/**', '.local-azure/**', 'eslint.config.mjs', 'scripts/**/*.mjs', 'bin/**'] },
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
  {
    // The domain and the use cases know no SDK and no adapter.
    files: ['src/domain/**/*.ts', 'src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [
          { group: ['@azure/*'], message: 'src/domain and src/app import no Azure SDK: add a port in src/app/ports.ts.' },
          { group: ['**/azure/**', '**/local/**'], message: 'src/domain and src/app import no adapter.' },
        ] },
      ],
    },
  },
  {
    // Nothing outside src/local knows the emulator exists.
    files: ['functions/**/*.ts', 'src/domain/**/*.ts', 'src/app/**/*.ts', 'src/azure/**/*.ts', 'src/config/**/*.ts', 'src/host/**/*.ts', 'src/cli/**/*.ts', 'src/compositionRoot.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/local/**'], message: 'Only src/local may know the local emulator and host.' }] },
      ],
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
