import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The webview may only share the protocol with the host (GitLens' rule, enforced by tsconfig too).
    files: ['webview/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/host/**', '**/trainer/**', 'vscode'] }],
    },
  },
  {
    files: ['src/protocol/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['vscode', '@tensorflow/*', 'sharp', '**/host/**', '**/trainer/**'] },
      ],
    },
  },
);
