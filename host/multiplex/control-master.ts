// One ssh ControlMaster that this process started: `ssh -N` with ControlMaster, ControlPath and
// ControlPersist, which authenticates, then puts the master in the background and exits 0, so
// that its exit says the shared connection is ready (255 and its stderr say why not). The
// starter is a RemoteShell of its own: its stderr is captured in its own ring, diagnosed, and
// tried again under `retry` like any connection (always safe: no session has used it yet).
//
// In the background, ssh points the master's stdin, stdout and stderr at /dev/null (unless -v
// keeps stderr), and it lives until ControlPersist's time after its last session, `stop()`, or
// this process's exit. Whether it still lives is asked of its socket, not of its pid: a master
// that was killed leaves its socket file behind, and, where nothing reaps orphans, its pid too.
// A pid is only signalled while it still is this master (its command line names the socket),
// never after it may have gone to another process.

import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { masterRefusal, RemoteShellError } from '../errors.js';
import { processSource, stopMasterProcesses } from './master-processes.js';
import { RemoteShell, type RemoteShellOptions } from '../remote-shell.js';
import { internal } from '../internal.js';

/** What the first session's options give the master. */
export type MasterOptions = Pick<RemoteShellOptions, 'env' | 'cwd' | 'retry' | 'askpass' | 'capture'>;

// How long stop() waits for a master to go after SIGTERM, before SIGKILL.
const STOP_GRACE_MS = 2000;
const PROBE_TIMEOUT_MS = 2000;
const CONTROL_TIMEOUT_MS = 10_000;

export class ControlMaster {
  /** The control socket. */
  readonly socket: string;
  /** The starter's argv: `ssh -o ControlMaster=yes -o ControlPath=... -o ControlPersist=S -N ...`. */
  readonly argv: readonly string[];
  /** Resolves once the master is ready, with nothing; or with why it could not be made. */
  readonly ready: Promise<RemoteShellError | undefined>;
  // `ssh -O command` to this master: its argv.
  readonly #controlCommand: (command: 'check') => string[];
  readonly #env: NodeJS.ProcessEnv | undefined;
  #starter: RemoteShell | undefined;
  #pid: number | undefined;
  #pidKnown: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #ended: Error | undefined;

  /** `target` is the session's argv without its remote command: `[ssh, ...options, host]`;
   * `after`, the stop of an earlier master on the same socket, which would unlink it as it goes. */
  constructor(target: readonly string[], socket: string, persistMs: number, options: MasterOptions, after?: Promise<void>) {
    const [program, ...rest] = target;
    this.socket = socket;
    // ssh takes the first value of an option: these come before any the rsh words give.
    this.argv = Object.freeze([
      program,
      '-o',
      'ControlMaster=yes',
      '-o',
      `ControlPath=${socket}`,
      '-o',
      `ControlPersist=${Math.ceil(persistMs / 1000)}`,
      '-N',
      ...rest,
    ]);
    this.#controlCommand = (command) => [program, '-o', `ControlPath=${socket}`, '-O', command, ...rest];
    this.#env = options.env;
    this.ready = this.#start(options, after);
  }

  /** The master's pid once it is ready (undefined before, or if ssh would not say). */
  get pid(): number | undefined {
    return this.#pid;
  }

  async #start(options: MasterOptions, after: Promise<void> | undefined): Promise<RemoteShellError | undefined> {
    await after;
    if (this.#stopping) return masterRefusal(this.argv, 'the shared connection was closed before it started');
    // A socket file left by a master that is gone would make ssh run without multiplexing.
    rmSync(this.socket, { force: true });
    let starter: RemoteShell;
    try {
      starter = this.#starter = new RemoteShell(this.argv, { ...options, stderr: 'capture', [internal]: { master: true } });
    } catch (err) {
      return err instanceof RemoteShellError
        ? err
        : masterRefusal(this.argv, `cannot start the shared connection: ${(err as Error).message}`, err);
    }
    try {
      await starter.finished;
    } catch (err) {
      return err as RemoteShellError;
    } finally {
      this.#starter = undefined;
    }
    // The sessions need no pid: only stop() does, and waits for it.
    this.#pidKnown = this.#askPid().then((pid) => {
      this.#pid = pid;
    });
    return undefined;
  }

  // `ssh -O check` says "Master running (pid=N)".
  async #askPid(): Promise<number | undefined> {
    const pid = /pid=(\d+)/.exec(await this.#control('check'))?.[1];
    return pid === undefined ? undefined : Number(pid);
  }

  // `ssh -O command` to the master; what it printed on stderr.
  #control(command: 'check'): Promise<string> {
    return new Promise((resolve) => {
      const [program, ...args] = this.#controlCommand(command);
      execFile(program, args, { env: this.#env, timeout: CONTROL_TIMEOUT_MS }, (_err, _stdout, stderr) => resolve(String(stderr)));
    });
  }

  /** Whether the master takes connections on its socket. Only a socket that is missing or
   * refuses says no: one that is slow to answer (this process was busy) is still a master. */
  alive(): Promise<boolean> {
    return new Promise((resolve) => {
      const probe = createConnection(this.socket);
      const done = (up: boolean): void => {
        probe.destroy();
        resolve(up);
      };
      probe.setTimeout(PROBE_TIMEOUT_MS, () => done(true));
      probe.once('connect', () => done(true));
      probe.once('error', (err: NodeJS.ErrnoException) =>
        done(err.code !== 'ENOENT' && err.code !== 'ECONNREFUSED' && err.code !== 'ENOTSOCK'),
      );
    });
  }

  /** Why the master ended, once this process stopped it or found it gone; undefined while it
   * is taken to stand. */
  get ended(): Error | undefined {
    return this.#ended;
  }

  /** Stops the master (and a start in progress); its sessions end with it. `why` is what
   * `ended` says from now on. */
  stop(why = 'the shared connection was stopped'): Promise<void> {
    this.#ended ??= new Error(why);
    this.#stopping ??= (async () => {
      this.#starter?.kill('SIGTERM');
      this.#terminate('SIGTERM');
      await this.ready;
      await this.#pidKnown;
      // Every process that is this master, by its command line: the one whose pid ssh told, and
      // one forked a moment before its starter was stopped, whose pid no one told. Resolving
      // only once they are gone is what lets a caller count on it.
      await stopMasterProcesses(this.socket, STOP_GRACE_MS);
      // ssh unlinks its socket as it goes, but not when killed. The next master on this socket
      // waits for this stop.
      if (!(await this.alive())) rmSync(this.socket, { force: true });
    })();
    return this.#stopping;
  }

  /** At the process's exit, when nothing can be awaited any more: also for a master whose stop
   * had begun. What cannot be done here (a master whose pid is not known yet: its starter may
   * have forked it a moment ago) is the exit watchdog's, which finds it by its command line. */
  stopNow(): void {
    this.#starter?.kill('SIGKILL');
    this.#terminate('SIGTERM');
  }

  // Whether the pid is still this master: its command line names the socket, where it can be
  // read at once (/proc). Elsewhere it cannot be told at exit, and the pid is not signalled
  // (it may be another process's now): the exit watchdog finds the master by ps.
  #isOurs(): boolean {
    if (this.#pid === undefined) return false;
    if (processSource() !== 'proc') return false;
    try {
      return readFileSync(`/proc/${this.#pid}/cmdline`, 'utf8').split('\0').includes(`ControlPath=${this.socket}`);
    } catch {
      return false;
    }
  }

  #terminate(signal: NodeJS.Signals): void {
    if (!this.#isOurs()) return;
    try {
      process.kill(this.#pid!, signal);
    } catch {
      // Gone already.
    }
  }
}
