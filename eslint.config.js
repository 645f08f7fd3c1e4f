// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Lint is syntax-only (no type information) so `npm run check` stays fast; tsc does the type
 * checking. The one architectural rule enforced here: only src/main.ts reads the environment
 * (ARCHITECTURE §3); everything else gets a parsed, typed Config slice through its factory.
 */

const ENV_MESSAGE =
  'Only src/main.ts reads the environment: take the value from Config (src/config.ts) through your factory deps.';

const noProcessEnv = {
  // Also catches `const { env } = process`.
  'no-restricted-properties': ['error', { object: 'process', property: 'env', message: ENV_MESSAGE }],
  'no-restricted-syntax': [
    'error',
    {
      // globalThis.process.env, global.process.env
      selector: "MemberExpression[property.name='env'][object.type='MemberExpression'][object.property.name='process']",
      message: ENV_MESSAGE,
    },
    {
      // import { env } from 'node:process'
      selector: "ImportDeclaration[source.value=/^(node:)?process$/] > ImportSpecifier[imported.name='env']",
      message: ENV_MESSAGE,
    },
  ],
};

const unusedVars = {
  '@typescript-eslint/no-unused-vars': [
    'error',
    {
      argsIgnorePattern: '^_',
      varsIgnorePattern: '^_',
      caughtErrorsIgnorePattern: '^_',
      destructuredArrayIgnorePattern: '^_',
      ignoreRestSiblings: true,
    },
  ],
};

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    'data/',
    'migrations/',
    'web/dist/',
    'coverage/',
    'test-results/',
    'bench/results/',
  ]),
  {
    files: [
      'src/**/*.{ts,js}',
      'tests/**/*.{ts,js}',
      'scripts/**/*.{ts,js}',
      'bench/**/*.{ts,js}',
      'client-sdk/src/**/*.{ts,js}',
      'client-sdk/tests/**/*.{ts,js}',
      '*.{ts,js,mjs,cjs}',
    ],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      ...unusedVars,
      ...noProcessEnv,
      // `let x; const y = make(() => x); x = create(y);` is how the composition root wires two
      // parts that refer to each other: the closure reads x before its one assignment.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The SDK runs in browsers too: no Node globals there. Its examples are application code
    // in a browser page.
    files: ['client-sdk/src/**/*.{ts,js}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['client-sdk/examples/**/*.{ts,js}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.browser } },
    rules: { ...unusedVars },
  },
  {
    // The demo web app (bundled by Vite) runs in browsers; only its Vite config runs in Node.
    files: ['web/**/*.{ts,js}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.browser } },
    rules: { ...unusedVars },
  },
  {
    files: ['web/vite.config.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The one place in the server that reads the environment, plus tooling and tests, which
    // are configured by it (DATABASE_URL, REDIS_URL, STORYLOOM_REQUIRE_SERVICES, ...).
    files: [
      'src/main.ts',
      'tests/**',
      'scripts/**',
      'bench/**',
      'client-sdk/tests/**',
      'drizzle.config.ts',
      'vitest.config.ts',
      '*.config.{js,mjs,cjs}',
      '.dependency-cruiser.cjs',
    ],
    rules: {
      'no-restricted-properties': 'off',
      'no-restricted-syntax': 'off',
    },
  },
);
