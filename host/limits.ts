// Open files: each transport holds three fds (the child's stdin, stdout and stderr ends), so a
// process that fans out to hundreds of remote shells needs more than the common soft limit of
// 1024. The hard limit is usually far higher; raising the soft one is what Go does at start.

import { readFileSync } from 'node:fs';
import { loadBinding } from './native/binding.js';

export interface OpenFileLimit {
  soft: number;
  hard: number;
}

/** The process's limit on open files (RLIMIT_NOFILE); Infinity where there is none, or where
 * it cannot be read (no addon, and not Linux). */
export function openFileLimit(): OpenFileLimit {
  const binding = loadBinding();
  return binding.openFileLimit ? binding.openFileLimit() : (fromProc() ?? { soft: Infinity, hard: Infinity });
}

// Without the addon, Linux still says: "Max open files  1024  524288  files".
function fromProc(): OpenFileLimit | undefined {
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line) return undefined;
    const value = (text: string): number => (text === 'unlimited' ? Infinity : Number(text));
    return { soft: value(line[1]), hard: value(line[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Raises the soft limit on open files to the hard limit (or to `wanted`, if lower) and returns
 * the limit now in force. A no-op on Windows, and without the addon.
 *
 * ```ts
 * raiseOpenFileLimit(); // { soft: 524288, hard: 524288 }: room for thousands of transports
 * ```
 */
export function raiseOpenFileLimit(wanted = Infinity): OpenFileLimit {
  const binding = loadBinding();
  const current = openFileLimit();
  const target = Math.min(wanted, current.hard);
  if (binding.setOpenFileLimit && current.soft < target) binding.setOpenFileLimit(target);
  return openFileLimit();
}
