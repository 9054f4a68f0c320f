#!/bin/sh
':' /*
# rsh-transport: a remote shell that drains, forwards and explains its stderr (see --help).
#
# This file is read twice: first by /bin/sh (these lines, which JavaScript sees as a comment),
# then by Node (the lines after the comment). Why a shell first: Node starts its inspector, a
# debugger port, when it receives SIGUSR1, and it installs that handler before any script can
# replace it; rsync ends its remote shell with SIGUSR1, so in the first milliseconds of Node's
# start it would open that port instead of stopping. So the process the caller knows and signals
# is this shell: it runs Node as its child, hands it stdin, stdout and stderr as they are, and
# passes each signal on, SIGUSR1 and SIGUSR2 as SIGTERM. It exits with Node's status. Windows has
# neither the shell nor the signal: there the package's preinstall (scripts/windows-bin.mjs) makes
# the first line Node's, so that npm's shims run node.exe on this file.
#
# A signal can be lost on its way to a Node that is still starting (the forked shell that is
# about to become Node takes it with this shell's trap; Node starts with SIGINT ignored, as a
# job started with & does). So Node says when its own handlers are in place (SIGALRM to this
# shell, which nobody else sends a remote shell), and a signal that came before is sent again
# then. Node spawns nothing before that.
# Where the package's native launcher was installed (launcher/README.md), it runs the command:
# no Node unless there is a failure to explain. It runs this script again for what it leaves to
# Node, marked so that Node runs then. RSH_TRANSPORT_NATIVE=0 runs Node always.
if [ -n "${RSH_TRANSPORT_FROM_LAUNCHER+set}" ]; then
  unset RSH_TRANSPORT_FROM_LAUNCHER
else
  # Only the launcher hands Node a run to explain: a stale copy from the caller is not one.
  unset RSH_TRANSPORT_HANDOVER_FD
  if [ "${RSH_TRANSPORT_NATIVE-}" != 0 ]; then
    # The script's own directory, through npm's symlinks: first the two places npm links a bin
    # from (node_modules/.bin, and a global prefix's bin), tried by -ef, which runs nothing;
    # else each link read in turn (a readlink each).
    self=$0
    case $self in
      *[/]*) dir=${self%/*} ;;
      *) dir=. ;;
    esac
    for npm in "$dir/../rsh-transport" "$dir/../lib/node_modules/rsh-transport"; do
      if [ -L "$self" ] && [ "$self" -ef "$npm/bin/rsh-transport.js" ]; then self=$npm/bin/rsh-transport.js; fi
    done
    while :; do
      case $self in
        *[/]*) dir=${self%/*} ;;
        *) dir=. ;;
      esac
      [ -L "$self" ] || break
      link=$(readlink "$self")
      case $link in
        /*) self=$link ;;
        *) self=$dir/$link ;;
      esac
    done
    launcher=$dir/../build/launcher/rsh-transport-launcher
    if [ -x "$launcher" ]; then exec "$launcher" "$0" "$@"; fi
  fi
fi
node=${RSH_TRANSPORT_NODE:-node}
# With NODE_EXTRA_CA_CERTS set, Node builds its whole store of root certificates as it starts:
# some 40 ms on a small machine, for a process that opens no TLS connection. Node starts without
# it, and the remote shell gets it back.
if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then
  RSH_TRANSPORT_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export RSH_TRANSPORT_NODE_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
else
  unset RSH_TRANSPORT_NODE_EXTRA_CA_CERTS
fi
RSH_TRANSPORT_LAUNCHER=$$
export RSH_TRANSPORT_LAUNCHER
pid=
pending=
trapped=
forward() {
  trapped=1
  pending=$1
  if [ -n "$pid" ]; then kill -s "$1" "$pid" 2>/dev/null; fi
}
on_ready() {
  trapped=1
  if [ -n "$pending" ]; then kill -s "$pending" "$pid" 2>/dev/null; fi
}
trap 'forward TERM' TERM USR1 USR2
trap 'forward INT' INT
trap 'forward HUP' HUP
trap 'on_ready' ALRM
# A job started with & gets /dev/null as its stdin from dash; fd 3 carries the real one over
# (when there is one: a caller may have closed it).
if true 2>/dev/null 3<&0; then exec 3<&0; else exec 3</dev/null; fi
"$node" "$0" "$@" <&3 3<&- &
pid=$!
# Node has them now. stdin: the caller's EPIPE must come when the remote shell is gone, as with
# ssh, not wait for this shell too. stdout is kept until this shell exits: a caller that reads the
# status only if the process has already exited when it sees EOF (rsync's cleanup, waitpid with
# WNOHANG) must see EOF no earlier than this pid ends with the remote shell's status.
exec 3<&- </dev/null
if [ -n "$pending" ]; then kill -s "$pending" "$pid" 2>/dev/null; fi
# wait returns early when a trapped signal comes (its stderr goes nowhere: dash would print
# "Terminated" for a Node that a signal ended). A wait a trap cut short is done again; once Node
# is gone, one more wait has its status, unless the last one had it already (127 then).
while :; do
  trapped=
  wait "$pid" 2>/dev/null
  status=$?
  if [ -z "$trapped" ]; then exit "$status"; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    again=$?
    if [ "$again" = 127 ]; then exit "$status"; fi
    exit "$again"
  fi
done
*/

// Node's half. Run as `node bin/rsh-transport.js`, it works the same but for the first
// milliseconds' SIGUSR1, which nothing can take from Node's inspector then.
await import('../dist/cli/bundle.js');
