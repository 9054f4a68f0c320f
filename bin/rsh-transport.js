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
# passes each signal on, SIGUSR1 and SIGUSR2 as SIGTERM. A signal that comes before Node can
# take it ends Node, before anything was spawned. The shell exits with Node's status.
node=${RSH_TRANSPORT_NODE:-node}
# With NODE_EXTRA_CA_CERTS set, Node builds its whole store of root certificates as it starts:
# some 40 ms on a small machine, for a process that opens no TLS connection. Node starts without
# it, and the remote shell gets it back.
if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then
  RSH_TRANSPORT_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export RSH_TRANSPORT_NODE_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
pid=
pending=
forward() {
  pending=$1
  if [ -n "$pid" ]; then kill -s "$1" "$pid" 2>/dev/null; fi
}
trap 'forward TERM' TERM USR1 USR2
trap 'forward INT' INT
trap 'forward HUP' HUP
# A job started with & gets /dev/null as its stdin from dash; fd 3 carries the real one over.
exec 3<&0
"$node" "$0" "$@" <&3 3<&- &
pid=$!
exec 3<&-
if [ -n "$pending" ]; then kill -s "$pending" "$pid" 2>/dev/null; fi
# wait returns early when a trapped signal comes; Node is gone only once kill -0 says so. (Its
# stderr goes nowhere: dash would print "Terminated" for a Node that a signal ended.)
while :; do
  wait "$pid" 2>/dev/null
  status=$?
  kill -0 "$pid" 2>/dev/null || exit "$status"
done
*/

// Node's half. Run as `node bin/rsh-transport.js`, it works the same but for the first
// milliseconds' SIGUSR1, which nothing can take from Node's inspector then.
await import('../dist/cli/bundle.js');
