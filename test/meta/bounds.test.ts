import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../helpers/root.js';

/** Every TypeScript and JavaScript file under test/, as paths from the root. */
function testSources(dir = path.join(ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testSources(full);
    return /\.(ts|mjs|js)$/.test(entry.name) ? [path.relative(ROOT, full)] : [];
  });
}

/** The argument of the call whose opening parenthesis is just before `start`, parentheses balanced. */
function argumentAt(source: string, start: number): string {
  let depth = 1;
  for (let i = start; i < source.length; i++) {
    if (source[i] === '(') depth++;
    else if (source[i] === ')' && --depth === 0) return source.slice(start, i);
  }
  return source.slice(start);
}

/** The mocha bounds (`this.timeout(...)`, `it(...).timeout(...)`) a file sets without the time scale. */
export function unscaledBounds(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  const calls = code.matchAll(/(?<!AbortSignal)\.timeout\(/g);
  return [...calls]
    .map((call) => argumentAt(code, call.index! + call[0].length))
    .filter((bound) => !/^scaled\(|timeScale\(\)/.test(bound) && bound !== '0');
}

// A suite's own bound overrides mocha's --timeout, which the emulated and Windows runs raise: an
// unscaled one fails a correct test on a machine ten times slower (it did, under qemu on s390x).
describe('the tests themselves', () => {
  it('scale every mocha bound they set', () => {
    const here = path.relative(ROOT, fileURLToPath(import.meta.url));
    const offenders = testSources()
      .filter((file) => file !== here)
      .flatMap((file) => unscaledBounds(readFileSync(path.join(ROOT, file), 'utf8')).map((bound) => `${file}: timeout(${bound})`));
    assert.deepEqual(offenders, []);
  });

  it('the check sees a fixed bound, on a suite or on one test', () => {
    assert.deepEqual(unscaledBounds('this.timeout(30_000);'), ['30_000']);
    assert.deepEqual(unscaledBounds("it('x', f).timeout(5000);"), ['5000']);
    assert.deepEqual(unscaledBounds('this.timeout(scaled(30_000)); AbortSignal.timeout(1000); this.timeout(1 * timeScale());'), []);
    assert.deepEqual(unscaledBounds('// this.timeout(30_000) in a comment\n/** or `this.timeout(n)` */'), []);
  });
});
