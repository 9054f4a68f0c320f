// The exit watchdog: what stops this process's ssh masters and removes its directory when the
// process ends in a way that runs no JavaScript (SIGKILL, a signal without a handler, a crash),
// or too early for the exit hook to know a master exists (process.exit() in the milliseconds
// between ssh forking the master and this process seeing the starter exit).
//
// It is a small /bin/sh process in a session of its own (no terminal's SIGINT or SIGHUP reaches
// it), reading a pipe whose write end only this process holds (close-on-exec: no child inherits
// it). However this process ends, the kernel closes that end, and the watchdog reads end-of-file.
// Until then it only reads what it is told: the control sockets of the masters this process
// starts, and the directory to remove. Then it signals every process whose command line names
// one of those sockets, the starters and the masters they forked alike (found by their command
// line with ps, so no pid is ever signalled after it went to another process), SIGTERM first and
// SIGKILL 2 s later, and removes the directory if it is still the one it was told of (same inode).
//
// One watchdog per process, started when the process first needs its private directory (a
// master, an askpass channel), about 1 MiB of memory. Windows has no multiplex, and no watchdog.

import { spawn } from 'node:child_process';
import { lstatSync } from 'node:fs';
import type { Writable } from 'node:stream';

// Lines in: `socket PATH` (a control socket of this process; the path holds no blank), `dir
// INODE PATH` (this process's own directory). The match on the command line is the one of
// multiplex/master-processes.ts: the argv the master was started with (`-o ControlMaster=yes -o
// ControlPath=PATH`, in that order) or the title it may set (`ssh: PATH [mux]`). Sessions
// (ControlMaster=no) end with their master.
const SCRIPT = `
sockets=
dirs=
while IFS= read -r line; do
  case $line in
    'socket '*) sockets="$sockets \${line#socket }" ;;
    'dir '*) dirs="$dirs
\${line#dir }" ;;
  esac
done
[ -n "$sockets" ] || [ -n "$dirs" ] || exit 0
# BusyBox's ps takes neither -A nor -ww (and lists every process without them).
list() { ps -A -ww -o pid= -o args= 2>/dev/null || ps -o pid= -o args= 2>/dev/null; }
signal() {
  list | while read -r pid args; do
    for s in $sockets; do
      case " $args " in
        *" ControlMaster=yes "*" ControlPath=$s "* | *" $s [mux]"*) kill "-$1" "$pid" 2>/dev/null && echo "$pid" ;;
      esac
    done
  done
}
if [ -n "$sockets" ]; then
  i=0
  while [ -n "$(signal TERM)" ]; do
    i=$((i + 1))
    if [ "$i" -gt 20 ]; then signal KILL >/dev/null; break; fi
    sleep 0.1 2>/dev/null || sleep 1
  done
fi
printf '%s\\n' "$dirs" | while read -r inode dir; do
  [ -n "$dir" ] || continue
  set -- $(ls -di "$dir" 2>/dev/null)
  [ "$1" = "$inode" ] && rm -rf "$dir"
done
`;

let pipe: Writable | undefined;
let unavailable = false;
// Everything told, in order: a watchdog that had to be started again is told it all.
const told = new Set<string>();

/** The watchdog stops every ssh naming `socket` once this process has ended. */
export function watchSocket(socket: string): void {
  tell(`socket ${socket}`);
}

/** The watchdog removes `dir` once this process has ended (and its masters are stopped), if
 * `dir` is still the directory it is now. */
export function watchDir(dir: string): void {
  // As a bigint: an inode number may exceed 2^53 (overlayfs with xino).
  let inode: bigint;
  try {
    inode = lstatSync(dir, { bigint: true }).ino;
  } catch {
    return;
  }
  tell(`dir ${inode} ${dir}`);
}

function tell(line: string): void {
  if (process.platform === 'win32' || told.has(line) || line.includes('\n')) return;
  told.add(line);
  if (pipe) pipe.write(`${line}\n`);
  else start();
}

function start(): Writable | undefined {
  if (unavailable) return undefined;
  try {
    const child = spawn('/bin/sh', ['-c', SCRIPT], {
      detached: true,
      // Holding no directory of the process's: one it may want to unmount or remove.
      cwd: '/',
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: `/usr/bin:/bin:/usr/sbin:/sbin${process.env.PATH ? `:${process.env.PATH}` : ''}`, LC_ALL: 'C' },
    });
    // Without /bin/sh there is no watchdog: the exit hook and ControlPersist remain.
    child.on('error', () => {
      unavailable = true;
      pipe = undefined;
    });
    // A watchdog killed by someone else is replaced at the next thing to tell.
    child.on('exit', () => {
      if (pipe === stdin) pipe = undefined;
    });
    child.unref();
    const stdin = child.stdin!;
    stdin.on('error', () => {});
    // The pipe must not keep this process alive: its end is the signal.
    (stdin as Writable & { unref?: () => void }).unref?.();
    pipe = stdin;
    for (const line of told) stdin.write(`${line}\n`);
    return stdin;
  } catch {
    unavailable = true;
    return undefined;
  }
}
