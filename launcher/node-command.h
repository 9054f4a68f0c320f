/* Becoming the Node command: through bin/rsh-transport.js (the script that keeps SIGUSR1 from
 * Node's inspector), marked so that it runs Node this time and not this program again. */
#ifndef RSH_LAUNCHER_NODE_COMMAND_H
#define RSH_LAUNCHER_NODE_COMMAND_H

/* From the start (handover -1), or to explain the failed run whose record is at fd `handover`.
 * Returns only if it could not (the caller then exits 255, having said why). */
void become_node(const char* script, int argc, char** argv, int handover);

#endif
