// Flat ESLint config: @eslint/js + typescript-eslint recommended, plus the template's style rules.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.demo/**', 'ui-shots/**', 'shots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      quotes: ['error', 'single', { avoidEscape: true }],
      indent: ['error', 2, { SwitchCase: 1 }],
      semi: ['error', 'always'],
      'comma-dangle': ['error', 'always-multiline'],
      'linebreak-style': ['error', 'unix'],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Browser code of the settings UI.
    files: ['src/homebridge-ui/public/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The settings UI server logs to the Homebridge UI log through the console; tools print results.
    files: ['src/homebridge-ui/server.ts', 'tools/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
);
