// @ts-check
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// Every file the workflow bundle imports runs in the deterministic sandbox. A test
// (test/unit/workflow-bundle-files.test.ts) checks that this list covers the bundle's imports.
const WORKFLOW_BUNDLE = [
  'workflows/**/*.ts',
  'src/domain/attempt-outcome.ts',
  'src/domain/duration.ts',
  'src/domain/internal-events.ts',
  'src/domain/retry-schedule.ts',
  'src/domain/temporal-text.ts',
  'src/domain/workflow-ids.ts',
  'src/retention/prune-plan.ts',
  'src/temporal/delivery-start.ts',
  'src/temporal/search-attributes.ts',
];

const TEMPORAL_CLIENT = { name: '@temporalio/client', message: 'Only the Temporal queue driver (src/temporal/) uses the Temporal client; go through QueueDriver.' };

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'drizzle/**', 'test/.runtime/**', '.data/**', 'coverage/**', 'src/ui/static/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    plugins: { 'import-x': importX },
    settings: { 'import-x/ignore': ['node_modules'] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The queue-driver boundary (src/engine/queue-driver.ts): only the Temporal driver talks to Temporal's client.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts'],
    ignores: ['src/temporal/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [TEMPORAL_CLIENT] }] },
  },
  {
    // Workflows must be deterministic: no Node builtins (samples-typescript does the same).
    files: WORKFLOW_BUNDLE,
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [...nodeBuiltins.map((name) => ({ name, message: 'Workflows run in a deterministic sandbox: no Node builtins.' })), TEMPORAL_CLIENT] },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

module.exports.WORKFLOW_BUNDLE = WORKFLOW_BUNDLE;
