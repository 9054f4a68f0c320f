// Lint for the TypeScript of the host, the tests, the benchmarks and the scripts (npm run lint).
// The AssemblyScript sources are linted with these rules by scripts/lint-assembly.mjs, which
// hides their function decorators from the parser first.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'third_party/wasm2c-runtime/', '.fuzz/', 'prebuilds/', 'assembly/', 'test/core-hosts/wasi-vector/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', performance: 'readonly', URL: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', WebAssembly: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', globalThis: 'readonly' } },
    rules: {
      // Control characters are what this project handles (terminal-safe text, ssh's output).
      'no-control-regex': 'off',
      // Names that begin with _ are there to be ignored (destructuring that drops keys).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
