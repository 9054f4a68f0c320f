#!/usr/bin/env python3
"""Runs a command (a test suite) and fails if it leaves a process running.

Usage: python3 scripts/nothing-left-running.py COMMAND [ARG...]

A test that starts a process must stop it, and every process that process started. One that
does not leaves an orphan, which the kernel hands to init, and no one notices: until it holds
a socket of the test process that closes in the middle of a later test, or an sshd session that
runs on. This script makes itself the subreaper of everything the command starts
(PR_SET_CHILD_SUBREAPER, Linux), so every orphan becomes its child, wherever it was started and
whatever session it set. Once the command ends, its orphans have a bounded while to end on their
own (an exit watchdog stopping an ssh master takes up to 2 s). Whatever is still running then is
listed with its command line, killed, and the run fails. NOTHING_LEFT_RUNNING_GRACE_S sets the
while (30 s by default).

The exit status is the command's (128 + N for a signal N), or 1 when the command passed but left
something running. Linux only, as the suites it runs: elsewhere it runs the command and says so.
"""

import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
# How long orphans may take to end after the command: a bound, not a wait (polled every 50 ms).
GRACE_S = float(os.environ.get('NOTHING_LEFT_RUNNING_GRACE_S', '30'))


def become_subreaper() -> bool:
    if not sys.platform.startswith('linux'):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def status_of(wait_status: int) -> int:
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return os.WEXITSTATUS(wait_status)


def reap_any() -> bool:
    """Reaps every child that has ended; False once no child is left."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat', 'rb') as f:
                stat = f.read()
        except OSError:
            continue
        # The name is in parentheses and may hold anything: the state and ppid follow the last ')'.
        fields = stat[stat.rindex(b')') + 2:].split()
        if fields[0] != b'Z':
            parents[int(entry)] = int(fields[1])
    found: list[int] = []
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def describe(pid: int) -> str:
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            args = f.read().rstrip(b'\0').replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        args = '(gone)'
    return f'  {pid} {args[:300]}'


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    reaping = become_subreaper()
    if not reaping:
        print('nothing-left-running: not on Linux: orphans are not checked', file=sys.stderr)
    command = os.fork()
    if command == 0:
        try:
            os.execvp(argv[0], argv)
        except OSError as err:
            print(f'nothing-left-running: cannot run {argv[0]}: {err.strerror}', file=sys.stderr)
            os._exit(127)
    # A terminal's ^C reaches the command itself (same process group); a SIGTERM or SIGHUP sent
    # to this script alone is passed on, so that the command ends as it would have.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for forwarded in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(forwarded, lambda number, _frame: os.kill(command, number))
    while True:
        pid, wait_status = os.waitpid(-1, 0)
        if pid == command:
            status = status_of(wait_status)
            break
    if not reaping:
        return status
    deadline = time.monotonic() + GRACE_S
    while reap_any() and time.monotonic() < deadline:
        time.sleep(0.05)
    left = descendants(os.getpid())
    if not left:
        return status
    print(f'nothing-left-running: still running {GRACE_S:g} s after `{" ".join(argv)}` ended (killed now):', file=sys.stderr)
    for pid in left:
        print(describe(pid), file=sys.stderr)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    while reap_any():
        time.sleep(0.05)
    return status or 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
