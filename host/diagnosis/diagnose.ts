// Why a remote shell failed, from everything it left: its exit status, every stderr line the
// capture kept (head and tail, and the segments a carriage return overwrote), and whether
// protocol bytes had come back. The result is a reason, the error's first line in the user's
// terms, a hint, and the few lines the classification rests on.
//
// The exit status decides whose failure it is. OpenSSH exits with 255 for its own failures and
// with the remote command's status otherwise; so with 255 ssh's own messages are looked for
// (ssh-messages.ts, in order of precedence), and with any other status the remote program's
// (remote-messages.ts). ssh's debug chatter, statistics and banners never count as the reason.

import { attributeHop } from './hops.js';
import { HINTS, NEVER_CONNECTED, type RemoteShellFailureReason } from './reasons.js';
import { remoteRank, rsyncHint } from './remote-messages.js';
import { SSH_AUTHENTICATED, SSH_CHATTER, SSH_DEBUG_EVIDENCE, SSH_MESSAGES, type SshMessage } from './ssh-messages.js';
import { plainText, terminalSafe } from '../terminal-safe.js';
import type { Keepalive } from '../rsh/ssh-options.js';

/** How a process ended: one of the two is null. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DiagnosisInput {
  /** The remote shell's name for messages ("ssh"). */
  program: string;
  /** How it ended; undefined while it runs. */
  exit: Exit | undefined;
  /** Its stderr lines in order, as decoded (not yet terminal-safe). */
  lines: readonly string[];
  /** Segments that a lone carriage return let the next one overwrite, in order. */
  overwritten?: readonly string[];
  bytesReceived: number;
  /** stdout went to a handed-over fd: bytesReceived says nothing. */
  stdoutHandedOver: boolean;
  /** The keepalive ssh ran with, when its argv says. */
  keepalive?: Keepalive;
  /** ssh runs quiet (-q, LogLevel QUIET) or through a proxy (ProxyCommand, ProxyJump): a line
   * that merely looks like an error may be the proxy's, not the remote command's. */
  quietOrProxied?: boolean;
  /** The jump hosts the argv names (-J, ProxyJump), in order, and the target as ssh was given
   * it: a failure of ssh's own is then told hop by hop. */
  jumps?: readonly string[];
  target?: string;
}

export interface Diagnosis {
  reason: RemoteShellFailureReason;
  /** The error's first line, terminal-safe. */
  summary: string;
  hint: string | null;
  /** The stderr lines the classification rests on, terminal-safe, at most MAX_TELLING_LINES. */
  tellingLines: string[];
  /** Through jump hosts, the hop that failed: 0-based index of the jump host, or the number of
   * jump hosts for the target. */
  hop?: number;
}

/** At most this many telling lines, each at most TELLING_LINE_MAX characters. */
const MAX_TELLING_LINES = 5;
const TELLING_LINE_MAX = 512;

/** Status 255: OpenSSH's own failure (or a remote command that exited with 255). */
const SSH_FAILURE_STATUS = 255;
const NOT_FOUND_STATUS = 127;
const NOT_EXECUTABLE_STATUS = 126;

/** The error's first line is cut at this many characters (it quotes remote text). */
const SUMMARY_MAX = 600;

// What the diagnosis reads, bounded whatever the capture holds: the first and the last lines
// (where a failure's reasons are), and of each line its start. No OpenSSH message is longer.
const HEAD_LINES = 200;
const TAIL_LINES = 2000;
const MATCHED_LENGTH = 2048;

interface Line {
  /** As received (decoded). */
  readonly text: string;
  /** Without escape sequences and control characters, trimmed, bounded: what patterns see. */
  readonly plain: string;
  /** A segment a lone CR let the next one overwrite: evidence, never "the last line". */
  readonly overwritten: boolean;
}

// The ssh of a jump host says so when the target's ssh ends it (SIGHUP), on success too.
const HOP_HUNG_UP = /^Killed by signal 1\.$/;

function toLines(input: DiagnosisInput): Line[] {
  const proxied = (input.jumps?.length ?? 0) > 0;
  const kept =
    input.lines.length > HEAD_LINES + TAIL_LINES ? [...input.lines.slice(0, HEAD_LINES), ...input.lines.slice(-TAIL_LINES)] : input.lines;
  const lines: Line[] = [];
  const add = (text: string, overwritten: boolean): void => {
    const plain = plainText(text.length > MATCHED_LENGTH ? text.slice(0, MATCHED_LENGTH) : text);
    if (plain !== '' && !(proxied && HOP_HUNG_UP.test(plain))) lines.push({ text, plain, overwritten });
  };
  for (const text of kept) add(text, false);
  for (const text of input.overwritten ?? []) add(text, true);
  return lines;
}

const isChatter = (line: Line): boolean => SSH_CHATTER.some((pattern) => pattern.test(line.plain));

/** A line as an error shows it: terminal-safe, bounded, without trailing blanks. */
export function showLine(text: string): string {
  const safe = terminalSafe(text.replace(/\r$/, '')).trimEnd();
  return safe.length > TELLING_LINE_MAX ? `${safe.slice(0, TELLING_LINE_MAX - 3)}...` : safe;
}

function unique(lines: readonly Line[]): string[] {
  const shown: string[] = [];
  for (const line of lines) {
    const text = showLine(line.text);
    if (!shown.includes(text)) shown.push(text);
  }
  return shown.slice(0, MAX_TELLING_LINES);
}

/** " (N bytes received so far)", as rsync says it, or '' when stdout went to a handed-over fd
 * (its bytes were never counted). */
export function receivedSoFar(bytesReceived: number, stdoutHandedOver: boolean): string {
  return stdoutHandedOver ? '' : ` (${bytesReceived} bytes received so far)`;
}

function received(input: DiagnosisInput): string {
  return receivedSoFar(input.bytesReceived, input.stdoutHandedOver);
}

function reasonOf(message: SshMessage, match: RegExpExecArray): RemoteShellFailureReason {
  return typeof message.reason === 'function' ? message.reason(match) : message.reason;
}

interface SshFinding {
  reason: RemoteShellFailureReason;
  summary: string;
  hint: string | null;
  /** The line of the message that decided. */
  decided: Line;
  /** Every line of the same reason, in order. */
  lines: Line[];
}

/** The ssh message of highest precedence, with every line that says the same reason. With the
 * session up (`established`), a message that means it never was is not believed: it was a
 * warning ssh went past. */
function findSshMessage(lines: readonly Line[], input: DiagnosisInput, established: boolean): SshFinding | undefined {
  const matched: { line: Line; index: number; match: RegExpExecArray; reason: RemoteShellFailureReason }[] = [];
  for (const line of lines) {
    if (isChatter(line)) continue;
    for (let index = 0; index < SSH_MESSAGES.length; index++) {
      const match = SSH_MESSAGES[index].pattern.exec(line.plain);
      if (!match) continue;
      const reason = reasonOf(SSH_MESSAGES[index], match);
      // (A server closing an established session broke it: that one is kept, and renamed below.)
      const dismissed = established && reason !== 'closed-by-remote' && (NEVER_CONNECTED.has(reason) || reason === 'invalid-input');
      if (!dismissed) matched.push({ line, index, match, reason });
      break;
    }
  }
  // A supporting line (a key that did not load) counts only beside a line that is not.
  const counted = matched.filter(
    (m) => !SSH_MESSAGES[m.index].supporting || matched.some((o) => o.reason === m.reason && !SSH_MESSAGES[o.index].supporting),
  );
  if (counted.length === 0) return undefined;
  const best = counted.reduce((a, b) => (b.index < a.index ? b : a));
  const message = SSH_MESSAGES[best.index];
  let reason = best.reason;
  let summary = message.summary(best.match, input.program, received(input), { keepalive: input.keepalive });
  // Bytes came back: the session was up, so a server closing it broke an established connection.
  if (reason === 'closed-by-remote' && established) {
    reason = 'connection-lost';
    summary = `connection unexpectedly closed${received(input)}: ${showLine(best.match[0])}`;
  }
  const telling = counted.filter((m) => m.reason === best.reason).map((m) => m.line);
  return { reason, summary, hint: message.hint ?? HINTS[reason], decided: best.line, lines: telling };
}

/** The remote program's error lines, best rank first, in order within a rank; else its last
 * line that is not ssh's chatter. */
function remoteLines(lines: readonly Line[]): { lines: Line[]; errors: boolean } {
  const ranked = lines
    .filter((line) => !isChatter(line))
    .map((line, order) => ({ line, order, rank: remoteRank(line.plain) }))
    .filter((entry) => entry.rank > 0)
    .sort((a, b) => a.rank - b.rank || a.order - b.order);
  if (ranked.length > 0) return { lines: ranked.map((entry) => entry.line), errors: true };
  return { lines: lines.filter((line) => !line.overwritten && !isChatter(line)).slice(-1), errors: false };
}

function result(
  reason: RemoteShellFailureReason,
  summary: string,
  lines: readonly Line[],
  hint: string | null = HINTS[reason],
  hop?: number,
): Diagnosis {
  const safe = terminalSafe(summary);
  const diagnosis: Diagnosis = {
    reason,
    summary: safe.length > SUMMARY_MAX ? `${safe.slice(0, SUMMARY_MAX - 3)}...` : safe,
    hint,
    tellingLines: unique(lines),
  };
  if (hop !== undefined) diagnosis.hop = hop;
  return diagnosis;
}

/** A failure of ssh's own, told hop by hop where the argv names jump hosts, until the session
 * was up: after that, any hop's end ends it, and ssh's lines do not say which. */
function sshResult(ssh: SshFinding, lines: readonly Line[], input: DiagnosisInput, established: boolean): Diagnosis {
  const jumps = input.jumps ?? [];
  const failing = lines.indexOf(ssh.decided);
  const hop =
    jumps.length === 0 || established
      ? undefined
      : attributeHop(
          ssh,
          lines.map((line) => line.plain),
          failing,
          { program: input.program, jumps, target: input.target ?? 'the target' },
        );
  return hop === undefined
    ? result(ssh.reason, ssh.summary, ssh.lines, ssh.hint)
    : result(ssh.reason, hop.summary, ssh.lines, hop.hint, hop.hop ?? undefined);
}

/** The first line, with the telling line that says why after a colon. */
function withLine(what: string, lines: readonly Line[]): string {
  return lines.length > 0 ? `${what}: ${showLine(lines[0].text)}` : what;
}

const REMOTE_255_HINT =
  "ssh exits with 255 for its own failures and when the remote command dies of a signal, and passes on a remote 255: run ssh -v to tell which (debug1: Exit status 255 is the remote command's, rtype exit-signal a signal).";

// ssh's own lines that no table names: its name first ("ssh: ..."), one of its functions'
// names (unix_listener:, mux_client_request_session:, muxclient:), or a process it could not
// start (posix_spawnp:, Win32-OpenSSH's CreateProcessW failed).
const SSH_OWN = /^(?:ssh[\w-]*|[a-z]+(?:_[a-z]+)+|muxclient|posix_spawnp?): |CreateProcessW failed/;

/** A program's own lines begin with its name ("ssh: connect to host ..."). */
function isProgramsOwn(line: Line, program: string): boolean {
  return line.plain.startsWith(`${program}:`) || SSH_OWN.test(line.plain);
}

/** Evidence that a session was up, even where no byte came back (or stdout went elsewhere and its
 * bytes could not be counted): the remote program's own error lines (git's `fatal:`, Mercurial's
 * `abort:`), which only a session carries, and no line of ssh's own besides its chatter. */
function remoteSpoke(lines: readonly Line[], program: string, quietOrProxied: boolean): boolean {
  const said = lines.filter((line) => !isChatter(line) && !line.overwritten);
  // A line that merely looks like an error (rank 3) may be a proxy's (nc's "connect ... failed")
  // when ssh itself says nothing (-q) or runs a ProxyCommand: evidence only where neither.
  const evidence = (line: Line): boolean => {
    const rank = remoteRank(line.plain);
    return rank > 0 && (rank < 3 || !quietOrProxied);
  };
  return said.some(evidence) && !said.some((line) => isProgramsOwn(line, program));
}

/** ssh's own word that the session was up. Through jump hosts, each hop's ssh says "Authenticated
 * to" and "Entering interactive session" too when its log level lets it (-v, which ssh passes on
 * to them, or a LogLevel in ssh's configuration, which they read too): then only the target's
 * ssh's own lines count. The first jump host is reached directly, every later hop and the target
 * "(via proxy)": so when the first hop said it authenticated, the hops speak, and the target has
 * authenticated once the lines via a proxy outnumber the later hops; when it did not, a line via
 * a proxy is the target's (-o LogLevel reaches the target's ssh alone). Or the command it sent. */
function sessionEvidence(lines: readonly Line[], input: DiagnosisInput): boolean {
  const hops = input.jumps?.length ?? 0;
  if (hops === 0) return lines.some((line) => SSH_AUTHENTICATED.test(line.plain) || SSH_DEBUG_EVIDENCE.session.test(line.plain));
  const authenticated = lines.filter((line) => SSH_AUTHENTICATED.test(line.plain));
  const viaProxy = authenticated.filter((line) => VIA_PROXY.test(line.plain)).length;
  const hopsSpeak = viaProxy < authenticated.length;
  return viaProxy > (hopsSpeak ? hops - 1 : 0) || lines.some((line) => SSH_DEBUG_EVIDENCE.command.test(line.plain));
}

const VIA_PROXY = /^Authenticated to \S+ \(via proxy\)/;

/** Classifies a remote shell that ended other than with status 0 (or is still running). */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const lines = toLines(input);
  const exit = input.exit;
  const program = input.program;

  const established = input.bytesReceived > 0 || sessionEvidence(lines, input);

  if (exit?.signal) {
    const ssh = findSshMessage(lines, input, established);
    return result('killed', `${program} was killed by ${exit.signal}`, ssh?.lines ?? remoteLines(lines).lines);
  }
  const code = exit?.code ?? null;
  if (code === NOT_FOUND_STATUS || code === NOT_EXECUTABLE_STATUS) {
    const { lines: telling } = remoteLines(lines);
    return code === NOT_FOUND_STATUS
      ? result('remote-command-not-found', withLine('the remote command was not found (exit 127)', telling), telling)
      : result('remote-command-not-executable', withLine('the remote command could not be executed (exit 126)', telling), telling);
  }
  if (code !== null && code !== SSH_FAILURE_STATUS) {
    const { lines: telling } = remoteLines(lines);
    return result(
      'remote-command-failed',
      withLine(`the remote command failed with exit code ${code}`, telling),
      telling,
      rsyncHint(
        code,
        telling.map((line) => line.plain),
      ),
    );
  }

  // 255, or no status at all: ssh's own failure, if it said which.
  const ssh = findSshMessage(lines, input, established);
  if (ssh) return sshResult(ssh, lines, input, established);
  const signalled = lines.filter((line) => SSH_DEBUG_EVIDENCE.remoteSignal.test(line.plain));
  if (signalled.length > 0) {
    return result(
      'killed',
      `the remote command was killed by a signal (${program} exited with code ${code})`,
      [...remoteLines(lines).lines, ...signalled],
      'A signal ended the remote command on the remote host: the out-of-memory killer, a timeout, or an administrator.',
    );
  }
  const remote = remoteLines(lines);
  // With no message of ssh's own, the remote program's own lines are evidence too.
  const sessionUp = established || remoteSpoke(lines, program, input.quietOrProxied === true);
  if (sessionUp && code === SSH_FAILURE_STATUS) {
    // ssh says why when it fails on its own; silent with a session up, the 255 is the remote
    // command's own status, or its death by a signal (which ssh reports as 255), or a failure of
    // ssh's that it did not name.
    return result(
      'remote-command-failed',
      withLine(`the remote command or ${program} ended the session with status 255 after it was established`, remote.lines),
      remote.lines,
      REMOTE_255_HINT,
    );
  }
  if (sessionUp && remote.errors) {
    return result('remote-command-failed', withLine(`the remote command failed with exit code ${code}`, remote.lines), remote.lines);
  }
  const how = code === null ? `${program} ended` : `${program} exited with code ${code}`;
  return result(
    'unknown',
    `connection unexpectedly closed${received(input)}: ${how}`,
    remote.lines,
    program.startsWith('ssh') ? HINTS.unknown : 'The remote shell gave no reason; run it by hand to see what it says.',
  );
}
