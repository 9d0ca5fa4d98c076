// @ts-check
import eslint from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Code that has an alias is imported through it, never by climbing `../../..`. Each group of
 * files below adds its own boundaries to these; the rule's options do not merge between
 * config objects (the later one replaces the earlier), so every group spreads this list.
 */
const throughAliases = [
  { group: ['**/libs/*/src', '**/libs/*/src/**'], message: 'Import shared code through @backlot/* aliases.' },
  { regex: '^\\.{1,2}/(\\.\\./)*(test/)?helpers/', message: 'Import test helpers through @backlot/testing/<file>.' },
];
const restrictImports = (...boundaries) => ['error', { patterns: [...throughAliases, ...boundaries] }];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      'libs/database/src/generated/**',
      'bench/results/**',
      'packages/*/dist/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // .tsx: the console (apps/console), type-checked with its own tsconfig, found by the project service.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      // tsconfig's paths resolve, so a cycle through an @backlot/* alias is seen like a relative one.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      // Without .ts here import-x parses no TypeScript dependency, and no-cycle never fires.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs', '.cjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // No maxDepth: the cost is parsing each file once, which a depth limit does not save, and
      // a limit would miss long cycles (barrels add a hop per lib). node_modules is not walked.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-imports': restrictImports(),
    },
  },
  {
    // Libraries never reach into the apps, nor into each other's folders.
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports(
        { group: ['**/apps/**', '@backlot/api'], message: 'libs must not import from apps' },
        { regex: '^(\\.\\./)+[a-z-]+/src(/|$)', message: 'Import another lib through its @backlot/* alias.' },
      ),
    },
  },
  {
    // Only repositories touch the database: a service that forgot a caller's scope could not
    // compile a statement. Types (a transaction handed back to a repository) may pass through.
    files: ['apps/api/src/**/*.ts'],
    ignores: [
      '**/*.repository.ts',
      '**/*.spec.ts',
      // Composition: the app wires the database module in, and its error translation into the problem filter.
      'apps/api/src/app.module.ts',
      'apps/api/src/app.factory.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@backlot/database'],
              allowTypeImports: true,
              // Ids are made where a record is shaped (services), before any repository writes it.
              allowImportNames: ['newId'],
              message: 'Only *.repository.ts files use the database; call a repository (types and newId may be imported).',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI uses the API app only through its public entry (apps/api/src/index.ts).
    files: ['apps/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        regex: '^(\\.\\./)+(apps/)?api(/|$)',
        message: 'Import the API app through @backlot/api.',
      }),
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module', globals: { ...globals.node } } },
  // The example SPAs are browser ES modules with no build step.
  { files: ['examples/**/*.js'], languageOptions: { sourceType: 'module', globals: { ...globals.browser } } },
  { files: ['apps/console/src/**/*.{ts,tsx}'], languageOptions: { globals: { ...globals.browser } } },
);
