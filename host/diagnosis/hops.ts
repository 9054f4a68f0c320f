// Which hop failed, through jump hosts. ssh reaches the target through a chain of its own
// children: the ssh of the target runs `ssh -W` to the last jump host as its proxy, which runs
// one to the jump host before, and so on. All of them write to the same stderr, and when one
// fails, each ssh above it sees its proxy end and says so in one line of its own:
//
//   ssh: connect to host 10.0.0.1 port 22: Connection refused        <- the ssh of jump host 0
//   kex_exchange_identification: Connection closed by remote host   <- the ssh of jump host 1
//   Connection closed by UNKNOWN port 65535
//   kex_exchange_identification: Connection closed by remote host   <- the ssh of the target
//   Connection closed by UNKNOWN port 65535
//
// So the number of those lines after the failing line counts the hops above the one that
// failed: with n jump hosts, a failure followed by k of them is hop n - k's. A jump host that
// could not open the channel onward (`channel 0: open failed`) failed to reach the hop after it.

import { FORWARD_FAILED, JUMP_FORWARD_HINT } from './ssh-messages.js';
import type { RemoteShellFailureReason } from './reasons.js';

const PROXY_ENDED = /^(?:kex|ssh)_exchange_identification: Connection closed by remote host$/;

export interface HopContext {
  /** The remote shell's name ("ssh"). */
  program: string;
  /** The jump hosts as the argv names them, in order. */
  jumps: readonly string[];
  /** The target as ssh was given it. */
  target: string;
}

export interface HopFinding {
  /** 0-based index of the jump host that failed, or jumps.length for the target; null when the
   * lines leave it open. */
  hop: number | null;
  summary: string;
  hint: string | null;
}

export const JUMP_OPTIONS_HINT =
  "ssh's command-line options (-i, -o, -p) do not reach a jump host: set them for it in ssh's configuration (a Host block, in ~/.ssh/config or the file named with -F).";

const JUMP_TIMEOUT_HINT =
  "A jump host that does not answer, or one that is slow to authenticate, shows as the target's time-out: run ssh -v to see which hop got no answer, and reach each jump host on its own (ssh bastion true).";

// ssh's words after the first ": " of a summary of ours ("ssh could not connect to h port 22: connection refused").
function detail(summary: string): string {
  const colon = summary.indexOf(': ');
  return colon === -1 ? summary : summary.slice(colon + 2);
}

/**
 * The hop a failure of ssh's own belongs to, and a first line that names it; undefined without
 * jump hosts, or when the lines do not tell (a count that fits no hop).
 * @param plain the stderr lines in order, as the patterns see them
 * @param failing the index in `plain` of the line the reason rests on
 */
export function attributeHop(
  finding: { reason: RemoteShellFailureReason; summary: string; hint: string | null },
  plain: readonly string[],
  failing: number,
  context: HopContext,
): HopFinding | undefined {
  const { jumps, program, target } = context;
  const n = jumps.length;
  if (n === 0 || failing < 0) return undefined;
  const above = plain.slice(failing + 1).filter((line) => PROXY_ENDED.test(line)).length;
  // (The failing line may be one of those itself: the server of a hop closed at once.)
  const at = n - above;
  if (at < 0 || at > n) return undefined;
  const name = (hop: number): string => (hop < n ? `the jump host ${jumps[hop]}` : `the target ${target}`);
  const via = jumps.join(', then ');
  const words = detail(finding.summary);
  const forward = FORWARD_FAILED.test(plain[failing]);
  if (forward) {
    // The jump host `at` could not open the channel to the hop after it.
    if (at >= n) return undefined;
    return { hop: at + 1, summary: `${name(at)} could not open a connection to ${name(at + 1)}: ${words}`, hint: JUMP_FORWARD_HINT };
  }
  const where = at < n ? name(at) : `${name(n)} through ${via}`;
  const hint = at < n ? [finding.hint, JUMP_OPTIONS_HINT].filter((text) => text !== null).join(' ') : finding.hint;
  switch (finding.reason) {
    case 'connect-timeout':
      // ConnectTimeout bounds the target's ssh alone, from its start: it gives up waiting for the
      // target's banner while a hop before it may still be trying to connect (a jump host that
      // never answers says nothing first), so the target's time-out names no hop.
      if (at === n)
        return {
          hop: null,
          summary: `the target ${target} could not be reached through ${via} in time, nor said which hop did not answer: ${words}`,
          hint: JUMP_TIMEOUT_HINT,
        };
      return { hop: at, summary: `${where} could not be reached: ${words}`, hint };
    case 'connect-refused':
      return { hop: at, summary: `${where} could not be reached: ${words}`, hint };
    case 'host-not-found':
      return { hop: at, summary: `${where} could not be reached: its name does not resolve (${words})`, hint };
    case 'auth-failed':
      return { hop: at, summary: `${program} could not authenticate to ${where}: ${words}`, hint };
    default:
      return { hop: at, summary: `${finding.summary} (at ${where})`, hint };
  }
}
