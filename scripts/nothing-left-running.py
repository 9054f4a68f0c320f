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

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
# How long orphans may take to end after the command: a bound, not a wait (polled every 50 ms).
GRACE_S = float(os.environ.get('NOTHING_LEFT_RUNNING_GRACE_S', '30'))
# How long killing them may take before this gives up (a process stuck in the kernel).
KILL_BOUND_S = 10
# SIGHUP is POSIX only; on Windows the command runs unchecked, and none is forwarded.
FORWARDED = tuple(getattr(signal, name) for name in ('SIGTERM', 'SIGHUP') if hasattr(signal, name))


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


def running_parents() -> dict[int, int]:
    """The parent of every process that is not a zombie."""
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
    return parents


def children_in(parents: dict[int, int], parent: int) -> list[int]:
    return [pid for pid, ppid in parents.items() if ppid == parent]


def children_of(parent: int) -> list[int]:
    return children_in(running_parents(), parent)


def descendants(root: int) -> list[int]:
    parents = running_parents()
    found: list[int] = []
    frontier = [root]
    while frontier:
        children = children_in(parents, frontier.pop())
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
    if not hasattr(os, 'fork'):
        print('nothing-left-running: no fork here: orphans are not checked', file=sys.stderr)
        return subprocess.call(argv)
    reaping = become_subreaper()
    if not reaping:
        print('nothing-left-running: no subreaper here (Linux only): orphans are not checked', file=sys.stderr)
    # Held from before the fork until their handler is set: none is lost, and none ends this
    # script while the command runs on.
    signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
    command = os.fork()
    if command == 0:
        # As a shell would start it: Python ignores SIGPIPE and SIGXFSZ, and exec keeps that.
        for number in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        try:
            os.execvp(argv[0], argv)
        except OSError as err:
            print(f'nothing-left-running: cannot run {argv[0]}: {err.strerror}', file=sys.stderr)
            os._exit(127)
    # A terminal's ^C reaches the command itself (same process group). A SIGTERM or SIGHUP sent
    # to this script alone is passed on while the command runs (its pid is its own until this
    # script reaps it), so that it ends as it would have. Either way, the run is being stopped:
    # the wait for orphans is cut short, and they are killed at once.
    state = {'running': True, 'signalled': False}

    def on_signal(number: int, _frame: object) -> None:
        state['signalled'] = True
        if state['running']:
            try:
                os.kill(command, number)
            except ProcessLookupError:
                pass  # reaped a moment ago

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in FORWARDED:
        signal.signal(number, on_signal)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
    while True:
        pid, wait_status = os.waitpid(-1, 0)
        if pid == command:
            state['running'] = False
            status = status_of(wait_status)
            break
    if not reaping:
        return status
    deadline = time.monotonic() + GRACE_S
    while reap_any() and time.monotonic() < deadline and not state['signalled']:
        time.sleep(0.05)
    left = descendants(os.getpid())
    if not left:
        return status
    when = 'when a signal cut the wait short' if state['signalled'] else f'{GRACE_S:g} s later'
    print(f'nothing-left-running: `{" ".join(argv)}` ended, and {when} these still ran (killed now):', file=sys.stderr)
    for pid in left:
        print(describe(pid), file=sys.stderr)
    # Only this script's own children are killed: each pid stays theirs until it is reaped here,
    # so no other process is hit. What they started becomes a child in turn, and goes the same way.
    deadline = time.monotonic() + KILL_BOUND_S
    while reap_any():
        if time.monotonic() > deadline:
            print(f'nothing-left-running: could not end {", ".join(map(str, children_of(os.getpid())))}', file=sys.stderr)
            break
        for pid in children_of(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    return status or 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
