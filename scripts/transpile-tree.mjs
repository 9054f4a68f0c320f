// host/ and test/ as JavaScript for a Node that cannot run tsx or esbuild itself (an emulated
// CPU, node.exe under Wine): each file transpiled alone by esbuild, at the same path, so that
// their imports (which already name .js files) and the paths the code finds its files by hold.

import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';

/** Copies the tree `from` to `to`, TypeScript files (but .d.ts) as JavaScript. */
export function transpileTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const source = path.join(from, name);
    const target = path.join(to, name);
    if (statSync(source).isDirectory()) {
      transpileTree(source, target);
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
      const { code } = transformSync(readFileSync(source, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: source });
      writeFileSync(target.replace(/\.ts$/, '.js'), code);
    } else {
      cpSync(source, target);
    }
  }
}
