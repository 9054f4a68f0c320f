// The remote shell's stdin and stdout, made by us rather than by Node's stdio 'pipe'.
//
//   const stdio = ChildStdio.open(binding);        // may throw EMFILE: nothing is left open
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

import type { ChildProcess, IOType } from 'node:child_process';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { NativeBinding } from '../native/binding.js';

interface FdPair {
  parentFd: number;
  childFd: number;
}

export class ChildStdio {
  /** What to give spawn() for the child's fds 0 and 1. */
  readonly spawnStdio: [number | IOType, number | IOType];

  readonly #binding: NativeBinding;
  #stdin: FdPair | undefined;
  #stdout: FdPair | undefined;
  #childEndsOpen: boolean;
  #parentEndsOwned: boolean;

  private constructor(binding: NativeBinding, stdin?: FdPair, stdout?: FdPair) {
    this.#binding = binding;
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#childEndsOpen = this.#parentEndsOwned = stdin !== undefined;
    this.spawnStdio = stdin && stdout ? [stdin.childFd, stdout.childFd] : ['pipe', 'pipe'];
  }

  /** Makes both socketpairs; throws the system error (EMFILE...) and leaves no fd open. */
  static open(binding: NativeBinding): ChildStdio {
    if (!binding.createStdioPair) return new ChildStdio(binding);
    const stdin = binding.createStdioPair();
    let stdout: FdPair;
    try {
      stdout = binding.createStdioPair();
    } catch (err) {
      binding.closeFd(stdin.parentFd);
      binding.closeFd(stdin.childFd);
      throw err;
    }
    return new ChildStdio(binding, stdin, stdout);
  }

  /**
   * The child runs: our copies of its ends are closed (else its stdout never reaches EOF) and
   * the parent's ends become streams, which own their fds from now on.
   */
  spawned(child: ChildProcess): { stdin: Writable; stdout: Readable } {
    if (!this.#stdin || !this.#stdout) return { stdin: child.stdin!, stdout: child.stdout! };
    this.#closeChildEnds();
    this.#parentEndsOwned = false;
    return {
      stdin: new Socket({ fd: this.#stdin.parentFd, readable: false, writable: true }),
      stdout: new Socket({ fd: this.#stdout.parentFd, readable: true, writable: false }),
    };
  }

  /** The spawn failed: every fd still ours is closed. */
  close(child?: ChildProcess): void {
    this.#closeChildEnds();
    if (this.#parentEndsOwned) {
      this.#parentEndsOwned = false;
      this.#binding.closeFd(this.#stdin!.parentFd);
      this.#binding.closeFd(this.#stdout!.parentFd);
    }
    // Node's own pipes (Windows): a failed spawn may still have set them up.
    child?.stdin?.destroy();
    child?.stdout?.destroy();
  }

  #closeChildEnds(): void {
    if (!this.#childEndsOpen) return;
    this.#childEndsOpen = false;
    this.#binding.closeFd(this.#stdin!.childFd);
    this.#binding.closeFd(this.#stdout!.childFd);
  }
}
