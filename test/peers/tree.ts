// Trees of files for transfer tests, and their checksums.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** About `totalBytes` in `files` files: mostly small text, a few large binaries, names with spaces. */
export function makeTree(root: string, files: number, totalBytes: number): void {
  const big = Math.max(1, Math.floor(files / 500));
  const smallBytes = Math.floor((totalBytes * 0.2) / (files - big));
  const bigBytes = Math.floor((totalBytes * 0.8) / big);
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `dir ${i % 37}`, i % 3 === 0 ? 'sub dir' : 'sub');
    mkdirSync(dir, { recursive: true });
    if (i < big) {
      writeFileSync(path.join(dir, `blob ${i}.bin`), randomBytes(bigBytes));
    } else {
      const line = `file ${i}: the quick brown fox jumps over the lazy dog ${'é'.repeat(i % 5)}\n`;
      writeFileSync(path.join(dir, `note ${i}.txt`), line.repeat(Math.max(1, Math.floor(smallBytes / line.length))));
    }
  }
}

/** Relative path -> sha256 of every file under root. */
export function checksums(root: string): Map<string, string> {
  const sums = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const child = path.join(rel, name);
      if (statSync(path.join(root, child)).isDirectory()) walk(child);
      else
        sums.set(
          child,
          createHash('sha256')
            .update(readFileSync(path.join(root, child)))
            .digest('hex'),
        );
    }
  };
  walk('');
  return sums;
}
