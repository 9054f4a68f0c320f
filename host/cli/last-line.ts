// The command's own last line on failure: said only when it adds to what the user has just read.
//
// ssh's own failures (refused, unknown host key, no authentication...) get the reason and the
// hint: ssh's message says what, not what to do. A remote program's failure was told by the
// remote program itself, in the lines forwarded a moment ago (git's `fatal: ...`, rsync's
// `rsync error: ...`): restating it would print every line twice, once per host under pdsh. Then
// the line holds only the hint, when there is one, or is not written at all; the caller has the
// status. A remote 255 is the exception: whose it was is news, so it is said, without the line;
// and so is the status of a remote command whose last line was no error of its own.

import type { RemoteShellError } from '../remote-shell-error.js';
import type { RemoteShellFailureReason } from '../diagnosis/reasons.js';
import { remoteRank } from '../diagnosis/remote-messages.js';
import { plainText } from '../terminal-safe.js';

const REMOTE_REASONS: ReadonlySet<RemoteShellFailureReason> = new Set([
  'remote-command-failed',
  'remote-command-not-found',
  'remote-command-not-executable',
]);

/** A first line and its hint as one line. */
function withHint(summary: string, hint: string | null): string {
  if (hint === null) return summary;
  return `${summary}${/[.!?]$/.test(summary) ? '' : '.'} ${hint}`;
}

/** The first line without the telling line it quotes after a colon, when it does. */
function withoutQuote(summary: string, quoted: string): string {
  const tail = `: ${quoted}`;
  return summary.endsWith(tail) ? summary.slice(0, -tail.length) : summary;
}

export interface LastLineInput {
  error: Pick<RemoteShellError, 'reason' | 'shortMessage' | 'hint' | 'tellingLines' | 'exitCode'>;
  /** Whether the user has already seen this telling line (forwarded live, or written on failure). */
  seen: (line: string) => boolean;
  /** Why the remote shell was the default one, to say when it failed before the session: the
   * caller may have meant another and lost it (an environment a tool scrubbed). */
  defaultRshNote?: string;
}

// The library's options a hint names, as the command spells them.
const COMMAND_OPTIONS: ReadonlyArray<[RegExp, string]> = [[/\bstallTimeoutMs\b/g, '--stall-timeout']];

function commandHint(hint: string | null): string | null {
  return hint === null ? null : COMMAND_OPTIONS.reduce((text, [name, option]) => text.replace(name, option), hint);
}

/** The text of the last line (without the `rsh-transport: ` prefix), or null for none. */
export function lastLineText({ error, seen, defaultRshNote }: LastLineInput): string | null {
  const { reason, shortMessage, tellingLines, exitCode } = error;
  const hint = commandHint(error.hint);
  const told = tellingLines.length > 0 && seen(tellingLines[0]);
  if (REMOTE_REASONS.has(reason) && told) {
    // The remote program's own error line says why; a line that only came last (a warning of
    // ssh's, a progress line) does not, and the status is news then.
    const said = remoteRank(plainText(tellingLines[0])) > 0;
    if (exitCode === 255 || !said) return withHint(withoutQuote(shortMessage, tellingLines[0]), hint);
    return hint;
  }
  const line = withHint(shortMessage, hint);
  return defaultRshNote === undefined ? line : `${line} (${defaultRshNote})`;
}
