// The vector corpus as the host tests see it: every NAME.vec with its expected NAME.out.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CORPUS_DIR } from '../vectors/format.js';

export interface CorpusEntry {
  name: string;
  vecPath: string;
  vec: string;
  expected: string;
}

export function corpus(): CorpusEntry[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.vec'))
    .sort()
    .map((file) => {
      const vecPath = path.join(CORPUS_DIR, file);
      return {
        name: file.slice(0, -'.vec'.length),
        vecPath,
        vec: readFileSync(vecPath, 'utf8'),
        expected: readFileSync(vecPath.replace(/\.vec$/, '.out'), 'utf8'),
      };
    });
}

/** The first line where two outputs differ, for a readable failure. */
export function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      const clip = (s: string | undefined) => (s === undefined ? '(none)' : s.length > 120 ? `${s.slice(0, 120)}...` : s);
      return `record ${i + 1}: got ${clip(a[i])}, expected ${clip(e[i])}`;
    }
  }
  return 'no difference';
}
