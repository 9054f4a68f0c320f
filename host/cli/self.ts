// The command must never run itself as its own remote shell: with RSYNC_RSH=rsh-transport and a
// command that read RSYNC_RSH, or --rsh naming a wrapper of it, each instance would start the
// next without end. Two checks, both before anything is spawned:
// - the remote-shell words name this command's own files (directly, through a symlink, or as
//   the script of an interpreter such as `node` or `sh`);
// - the remote shell about to run is the very one an rsh-transport earlier in this process
//   chain already ran (a wrapper that leads back here), or the chain is implausibly deep. Each
//   instance leaves the hash of what it runs in RSH_TRANSPORT_CHAIN for its descendants. A
//   legitimate nesting (an ssh ProxyCommand that is itself rsh-transport) runs something else,
//   and passes.

import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHAIN_VARIABLE = 'RSH_TRANSPORT_CHAIN';
const MAX_DEPTH = 8;

/** The files that are this command, as real paths. */
export function ownFiles(): Set<string> {
  // The bundle lives in dist/cli/; the package root is two levels up.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const files = new Set<string>();
  for (const file of ['bin/rsh-transport.js', 'dist/cli/bundle.js', 'dist/cli/main.js', 'build/launcher/rsh-transport-launcher']) {
    try {
      files.add(realpathSync(path.join(root, file)));
    } catch {
      // not built in this checkout
    }
  }
  return files;
}

/** Where a word would be found as a program (execvp's rules), as a real path; undefined if nowhere. */
function resolveProgram(word: string, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const candidates = word.includes('/')
    ? [path.resolve(cwd, word)]
    : (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').map((dir) => path.resolve(cwd, dir || '.', word));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return realpathSync(candidate);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The first remote-shell word that names this command, or undefined: the program as execvp
 * finds it, or a later word that is a path to this command's files (the script given to `node`
 * or `sh`). A later bare word is an option's value (`-l rsh-transport`), never looked up.
 */
export function wordNamingSelf(
  rshWords: readonly string[],
  own: Set<string>,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string | undefined {
  return rshWords.find((word, i) => {
    if (i === 0) {
      const program = resolveProgram(word, env, cwd);
      return program !== undefined && own.has(program);
    }
    if (!word.includes('/') || word.startsWith('-') || word.includes('=')) return false;
    try {
      return own.has(realpathSync(path.resolve(cwd, word)));
    } catch {
      return false; // not a file
    }
  });
}

// Two 32-bit FNV-1a hashes with different offsets: 64 bits, enough to tell remote shells apart
// in one process chain, without loading node:crypto (2 ms of every start). Over each word's
// UTF-8 bytes and a NUL after it: the native launcher (launcher/remote-argv.c) computes the same.
const encoder = new TextEncoder();

export function hashOf(argv: readonly string[]): string {
  const bytes = encoder.encode(argv.map((word) => `${word}\0`).join(''));
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (const c of bytes) {
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export interface ChainCheck {
  /** Why running `argv` would loop, or null. */
  loop: string | null;
  /** RSH_TRANSPORT_CHAIN for the remote shell's environment. */
  next: string;
}

/** Checks `argv` against the chain this process inherited. */
export function checkChain(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ChainCheck {
  const chain = (env[CHAIN_VARIABLE] ?? '').split(',').filter((entry) => /^[0-9a-f]{16}$/.test(entry));
  const hash = hashOf(argv);
  let loop: string | null = null;
  if (chain.includes(hash))
    loop = 'an rsh-transport earlier in this process chain already ran this very remote shell, so it leads back here';
  else if (chain.length >= MAX_DEPTH) loop = `${chain.length} rsh-transports are already running one inside the other`;
  return { loop, next: [...chain, hash].join(',') };
}
