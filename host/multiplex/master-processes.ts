// The processes that are a control socket's master: the starter (`ssh -o ControlMaster=yes -o
// ControlPath=SOCKET ...`) and the master it forked, which keeps that argv, or, where ssh sets
// its title (setproctitle: the BSDs), shows `ssh: SOCKET [mux]`. Found by their command line, so
// that a master whose pid ssh never told (its starter was stopped a moment after the fork) is
// found too, and no pid is signalled after it went to another process.
//
// Read from /proc where there is one (Linux), else from ps (POSIX: macOS, the BSDs).

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export type ProcessSource = 'proc' | 'ps';

/** Where command lines are read on this system. */
export function processSource(): ProcessSource {
  return existsSync('/proc/self/cmdline') ? 'proc' : 'ps';
}

/** Whether a command line (its words) is the master, or the starter, of `socket`. */
function namesMaster(words: readonly string[], socket: string): boolean {
  if (words.includes('ControlMaster=yes') && words.includes(`ControlPath=${socket}`)) return true;
  return words.join(' ').includes(`${socket} [mux]`);
}

/** The pids of the processes that are `socket`'s master or its starter. */
export async function masterProcesses(socket: string, source = processSource()): Promise<number[]> {
  const lines = source === 'proc' ? fromProc() : await fromPs();
  return lines.filter(([, words]) => namesMaster(words, socket)).map(([pid]) => pid);
}

function fromProc(): Array<[number, string[]]> {
  const found: Array<[number, string[]]> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // A zombie's is empty: it runs no more.
      found.push([Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')]);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

// ps splits nothing: the words are the args as one line, split on blanks (a control socket's
// path holds none, see runtime-dir.ts).
function fromPs(): Promise<Array<[number, string[]]>> {
  return new Promise((resolve) => {
    execFile('ps', ['-A', '-ww', '-o', 'pid=', '-o', 'args='], { maxBuffer: 64 * 1024 * 1024 }, (_err, stdout) => {
      const found: Array<[number, string[]]> = [];
      for (const line of String(stdout).split('\n')) {
        const match = /^\s*(\d+)\s+(.*)$/.exec(line);
        if (match) found.push([Number(match[1]), match[2].split(' ')]);
      }
      resolve(found);
    });
  });
}

// SIGTERM to every process that is `socket`'s master, again as long as one is left, and SIGKILL
// to those left after `grace` ms; resolves once none is left.
export async function stopMasterProcesses(socket: string, grace: number): Promise<void> {
  const started = performance.now();
  // A process SIGKILL cannot end (stuck in the kernel) is not waited for beyond twice the grace.
  while (performance.now() - started < grace * 2) {
    const pids = await masterProcesses(socket);
    if (pids.length === 0) return;
    const signal = performance.now() - started < grace ? 'SIGTERM' : 'SIGKILL';
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
