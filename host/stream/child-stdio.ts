// The remote shell's stdin and stdout, made by us rather than by Node's stdio 'pipe', or handed
// to it as existing fds.
//
//   const stdio = ChildStdio.open(binding, 'pipe', 'pipe'); // may throw EMFILE: nothing is left open
//   const child = spawn(cmd, args, { stdio: [...stdio.spawnStdio, stderrFd] });
//   if (child.pid === undefined) stdio.close();      // the spawn failed: every fd is released
//   else { const { stdin, stdout } = stdio.spawned(child); ... }
//
// Why: when the spawn runs out of fds after libuv has made the stdio socketpairs (it fails on
// its own exec-status pipe), libuv still hands their parent ends to Node's Pipe handles, and
// Node returns early on EMFILE and ENFILE without ever wrapping them in streams. Those two fds
// then stay open for the life of the process, with no object left to close them. With integer
// fds libuv makes no stdio of its own, so every fd of a failed spawn is ours to close.
//
// The kind of channel is what Node's 'pipe' makes: socketpair(AF_UNIX, SOCK_STREAM), so the
// child sees the same stdin and stdout as before, and end() half-closes with shutdown(SHUT_WR).
// Windows has no socketpair: there Node's own stdio pipes are used.
//
// A handed-over fd (a number) is given to the child as it is: its bytes never pass through
// this process, and the side of the stream it replaces is absent (null).

import type { ChildProcess, IOType } from 'node:child_process';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { NativeBinding } from '../native/binding.js';

interface FdPair {
  parentFd: number;
  childFd: number;
}

type Side = 'pipe' | number;

export class ChildStdio {
  /** What to give spawn() for the child's fds 0 and 1. */
  readonly spawnStdio: [number | IOType, number | IOType];

  readonly #binding: NativeBinding;
  // A pair we made for a side, or undefined (handed over, or Node's own pipe on Windows).
  readonly #pairs: [FdPair | undefined, FdPair | undefined];
  #childEndsOpen = true;
  #parentEndsOwned = true;

  private constructor(binding: NativeBinding, sides: [Side, Side], pairs: [FdPair | undefined, FdPair | undefined]) {
    this.#binding = binding;
    this.#pairs = pairs;
    this.spawnStdio = [0, 1].map((i) => (sides[i] !== 'pipe' ? sides[i] : (pairs[i]?.childFd ?? 'pipe'))) as [
      number | IOType,
      number | IOType,
    ];
  }

  /** Makes a socketpair for each 'pipe' side; throws the system error (EMFILE...) and leaves no fd open. */
  static open(binding: NativeBinding, stdin: Side = 'pipe', stdout: Side = 'pipe'): ChildStdio {
    const sides: [Side, Side] = [stdin, stdout];
    const pairs: [FdPair | undefined, FdPair | undefined] = [undefined, undefined];
    if (binding.createStdioPair) {
      try {
        for (const i of [0, 1]) if (sides[i] === 'pipe') pairs[i] = binding.createStdioPair();
      } catch (err) {
        for (const pair of pairs) {
          if (!pair) continue;
          binding.closeFd(pair.parentFd);
          binding.closeFd(pair.childFd);
        }
        throw err;
      }
    }
    return new ChildStdio(binding, sides, pairs);
  }

  /**
   * The child runs: our copies of its ends are closed (else its stdout never reaches EOF) and
   * the parent's ends become streams, which own their fds from now on. A handed-over side is null.
   */
  spawned(child: ChildProcess): { stdin: Writable | null; stdout: Readable | null } {
    this.#closeChildEnds();
    this.#parentEndsOwned = false;
    const [stdin, stdout] = this.#pairs;
    return {
      stdin: stdin ? new Socket({ fd: stdin.parentFd, readable: false, writable: true }) : child.stdin,
      stdout: stdout ? new Socket({ fd: stdout.parentFd, readable: true, writable: false }) : child.stdout,
    };
  }

  /** The spawn failed: every fd still ours is closed. */
  close(child?: ChildProcess): void {
    this.#closeChildEnds();
    if (this.#parentEndsOwned) {
      this.#parentEndsOwned = false;
      for (const pair of this.#pairs) if (pair) this.#binding.closeFd(pair.parentFd);
    }
    // Node's own pipes (Windows): a failed spawn may still have set them up.
    child?.stdin?.destroy();
    child?.stdout?.destroy();
  }

  #closeChildEnds(): void {
    if (!this.#childEndsOpen) return;
    this.#childEndsOpen = false;
    for (const pair of this.#pairs) if (pair) this.#binding.closeFd(pair.childFd);
  }
}
