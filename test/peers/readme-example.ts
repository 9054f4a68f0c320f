// Runs a ```ts block of the README in this process: its imports become arguments, and what it
// prints with console.log is returned.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/root.js';

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<unknown>;

/** The README's ts block that begins with `start`. */
export function readmeBlock(start: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.startsWith(start));
  if (block === undefined) throw new Error(`the README has no ts block beginning with ${JSON.stringify(start)}`);
  return block;
}

/** Runs `code` with `names` bound to `values`; what it logged, and what its last expression
 * `result` (when `result` names a variable of it) holds. */
export async function runBlock(
  code: string,
  bindings: Record<string, unknown>,
  result?: string,
): Promise<{ logged: unknown[][]; result: unknown }> {
  const logged: unknown[][] = [];
  const body = code.replace(/^import .*$/gm, '').replace(/\bconsole\.log\(/g, 'log(') + (result ? `\nreturn ${result};` : '');
  const names = [...Object.keys(bindings), 'log'];
  const run = new AsyncFunction(...names, body);
  const value = await run(...Object.values(bindings), (...args: unknown[]) => logged.push(args));
  return { logged, result: value };
}
