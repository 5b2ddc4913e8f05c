import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', 'data/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The CommonJS launcher of the CLI.
    files: ['bin/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read loosely typed JSON bodies; asserting on them is the point.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node APIs, no clocks, no randomness.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'crypto', 'http', 'https', 'net'],
              message: 'Node APIs are not deterministic.',
            },
            {
              // Type-only imports (activity signatures) are erased before bundling: allowed.
              allowTypeImports: true,
              group: ['zod', 'node-fetch', '../activities/*'],
              message: 'Keep heavy or I/O modules out of workflow code.',
            },
            {
              allowTypeImports: true,
              // Of providers/, only a provider's pure word-to-state map may run in a workflow.
              regex: '^\\.\\./providers/(?!\\w+/states$)',
              message: "Keep provider I/O out of workflow code (a provider's pure states.ts is allowed).",
            },
          ],
          paths: [
            {
              // The kernel is the one path to activities and search attributes (saga-kernel.ts).
              name: '@temporalio/workflow',
              importNames: ['proxyActivities', 'proxyLocalActivities', 'upsertSearchAttributes'],
              message: 'Use sagaActivities() and the Saga methods from ./saga-kernel.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
      ],
    },
  },
  {
    files: ['workflows/saga-kernel.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
