// Flat ESLint config: @eslint/js + typescript-eslint recommended, the style rules, type-aware
// checks for promises, and the layer rule that keeps dependencies pointing one way.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first. A file may import its own layer and the ones below it, never
 * one above: homebridge-ui → platform → profile → accessories → withings → metrics → util.
 * docs/architecture.md explains what lives where.
 */
const LAYERS = ['util', 'metrics', 'withings', 'accessories', 'profile', 'notify', 'platform', 'homebridge-ui'];

const layerRules = LAYERS.map((layer, i) => {
  const above = LAYERS.slice(i + 1);
  const patterns = above.length === 0 ? [] : [{
    group: above.flatMap((a) => [`**/${a}/**`, `**/${a}/*`]),
    message: `src/${layer} must not import from a higher layer (${above.join(', ')}): see docs/architecture.md.`,
  }];
  // The domain and the API client know nothing of Homebridge; the domain knows no HTTP either.
  const paths = [];
  if (['util', 'metrics', 'withings'].includes(layer)) {
    paths.push({ name: 'homebridge', message: `src/${layer} must not depend on Homebridge.` });
  }
  if (['util', 'metrics'].includes(layer)) {
    paths.push({ name: 'axios', message: `src/${layer} must not make HTTP calls.` }, { name: 'node:http', message: `src/${layer} must not make HTTP calls.` });
  }
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns, paths }] },
  };
});

const PROMISE_RULES = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
};

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
      curly: ['error', 'all'],
      'max-len': ['error', { code: 200, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Type-aware: a promise is awaited, returned, caught or explicitly `void`ed, never dropped.
    files: ['src/**/*.ts'],
    ignores: ['src/homebridge-ui/public/**'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: PROMISE_RULES,
  },
  {
    files: ['src/homebridge-ui/public/**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.ui.json', tsconfigRootDir: import.meta.dirname } },
    rules: PROMISE_RULES,
  },
  ...layerRules,
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
