/* Becoming the Node command: through bin/rsh-transport.js (the script that keeps SIGUSR1 from
 * Node's inspector), marked so that it runs Node this time and not this program again. */
#ifndef RSH_LAUNCHER_NODE_COMMAND_H
#define RSH_LAUNCHER_NODE_COMMAND_H

/* From the start (handover -1), or to explain the failed run whose record is at fd `handover`.
 * Returns the number of a caller's signal that came while the signals were held (the command
 * then ends as that signal says, rather than die of it), or 0 if the exec failed (said). */
int become_node(const char* script, int argc, char** argv, int handover);

#endif
