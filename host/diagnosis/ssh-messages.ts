// OpenSSH's own error messages, each with the reason it stands for and the first line of the
// error it gives. The table is in order of precedence: when several lines of one stderr match,
// the entry that comes first here decides (a changed host key also prints "Host key
// verification failed.", which alone would mean an unknown one). Each entry carries the message
// as OpenSSH 9.2 prints it; the tests match every example against its own entry and against the
// recorded stderr of a real ssh.
//
// To add a message: put it where its precedence belongs, with a real example, and a test in
// test/diagnosis/ssh-messages.test.ts will hold it to its example.

import type { RemoteShellFailureReason } from './reasons.js';
import type { Keepalive } from '../rsh/ssh-options.js';

/** What the argv says that a message does not. */
export interface MessageContext {
  /** ServerAliveInterval and ServerAliveCountMax as ssh ran with them, when the argv shows them. */
  keepalive?: Keepalive;
}

/** " for at least 45 s (3 unanswered, 15 s apart)", or '' when the settings are not known. */
function unanswered(keepalive: Keepalive | undefined): string {
  if (keepalive === undefined) return '';
  const { intervalSeconds: s, count } = keepalive;
  return ` for at least ${s * count} s (${count} unanswered, ${s} s apart)`;
}

export interface SshMessage {
  /** The message as OpenSSH prints it (addresses and ports as on a loopback test). */
  readonly example: string;
  /** Matched against a line with escape sequences and control characters removed. */
  readonly pattern: RegExp;
  readonly reason: RemoteShellFailureReason | ((match: RegExpExecArray) => RemoteShellFailureReason);
  /** The error's first line; `program` is the remote shell's name, `received` is
   * " (N bytes received so far)" or ''. */
  readonly summary: (match: RegExpExecArray, program: string, received: string, context: MessageContext) => string;
  /** A hint for this message rather than its reason's. */
  readonly hint?: string;
  /** A warning that ssh goes on after: it counts only beside another line of the same reason. */
  readonly supporting?: boolean;
}

/** A jump host could not open the channel to the next hop (`ssh -W` through it). */
export const FORWARD_FAILED = /^channel \d+: open failed: (connect failed|administratively prohibited|[\w ]{1,40}?): (.+)$/;

export const JUMP_FORWARD_HINT =
  'Check the next host and port as the jump host resolves and reaches them, and that its sshd allows forwarding (AllowTcpForwarding).';

// "Connection refused." -> "connection refused": ssh's words inside a sentence of ours.
const inner = (text: string): string => text.replace(/\.$/, '').replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
const bare = (text: string): string => text.replace(/\.$/, '');

export const SSH_MESSAGES: readonly SshMessage[] = [
  // ---- the host key ----
  {
    example: 'Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.',
    pattern: /^Host key for (\S+) has changed and you have requested strict checking\.?$/,
    reason: 'host-key-changed',
    summary: (m, p) => `the host key of ${m[1]} has changed, and ${p} refused to connect: this may be a man-in-the-middle attack`,
  },
  {
    example: '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
    pattern: /^@\s*WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\s*@$/,
    reason: 'host-key-changed',
    summary: (_m, p) => `the server's host key has changed, and ${p} refused to trust it: this may be a man-in-the-middle attack`,
  },
  {
    example: 'The ED25519 host key for [127.0.0.1]:2222 is marked as revoked.',
    pattern: /^The (\S+) host key for (\S+) is marked as revoked\.?$/,
    reason: 'host-key-changed',
    summary: (m, p) =>
      `the ${m[1]} host key of ${m[2]} is marked as revoked (@revoked in known_hosts), and ${p} refused it: a stolen key may be impersonating the host`,
    hint: "Do not connect until the server's administrator has given it a new host key; the revoked one must not be trusted again.",
  },
  {
    example: 'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.',
    pattern: /^No (\S+) host key is known for (\S+) and you have requested strict checking\.?$/,
    reason: 'host-key-unknown',
    summary: (m, p) => `${p} does not know the host key of ${m[2]}, and strict host key checking is on`,
  },
  {
    example: 'Host key verification failed.',
    pattern: /^Host key verification failed\.?$/,
    reason: 'host-key-unknown',
    summary: (_m, p) => `${p} could not verify the server's host key: Host key verification failed`,
  },

  // ---- algorithms ----
  {
    example: 'Unable to negotiate with 127.0.0.1 port 2222: no matching key exchange method found. Their offer: curve25519-sha256',
    pattern: /^Unable to negotiate with (\S+)(?: port (\d+))?: (no matching [\w -]{1,40}? found)/,
    reason: 'negotiation-failed',
    summary: (m, p) => `${p} could not negotiate with ${m[1]}${m[2] ? ` port ${m[2]}` : ''}: ${m[3]}`,
  },
  {
    example: 'banner exchange: Connection to 127.0.0.1 port 2222: invalid format',
    pattern: /^banner exchange: Connection to (.+?) port (\d+): invalid format$/,
    reason: 'negotiation-failed',
    summary: (m, p) => `${p} could not talk to ${m[1]} port ${m[2]}: the server there does not speak SSH (banner exchange: invalid format)`,
    hint: 'The port is served by something else than an SSH server: check the port.',
  },

  // ---- authentication ----
  {
    example: 'Received disconnect from 127.0.0.1 port 2222:2: Too many authentication failures',
    pattern: /^Received disconnect from (.+?) port (\d+):\d+: (Too many authentication failures.*)$/,
    reason: 'auth-failed',
    summary: (m, p) => `${p} could not authenticate to ${m[1]} port ${m[2]}: ${inner(m[3])}`,
    hint: 'ssh offered too many keys before the right one: name it with -i and IdentitiesOnly=yes.',
  },
  {
    example: 'alice@127.0.0.1: Permission denied (publickey).',
    pattern: /^([^\s@]+@\S+): Permission denied \(([\w,@.-]+)\)\.?$/,
    reason: 'auth-failed',
    summary: (m, p) => `${p} could not authenticate to ${m[1]}: Permission denied (${m[2]})`,
  },
  {
    example: 'Permission denied, please try again.',
    pattern: /^Permission denied(?:, please try again| \(([\w,@.-]+)\))\.?$/,
    reason: 'auth-failed',
    summary: (m, p) => `${p} could not authenticate: Permission denied${m[1] ? ` (${m[1]})` : ''}`,
  },
  {
    example: 'Load key "/home/alice/.ssh/id_ed25519": incorrect passphrase supplied to decrypt private key',
    pattern: /^Load key "(.+)": (.+)$/,
    reason: 'auth-failed',
    summary: (m, p) => `${p} could not load the key ${m[1]}: ${m[2]}`,
    // ssh goes on with the next key: alone, this line is no failure.
    supporting: true,
  },

  // ---- reaching the server ----
  {
    example: 'ssh: Could not resolve hostname backup.invalid: Name or service not known',
    pattern: /^(?:\S+: )?Could not resolve hostname (\S+): (.+)$/,
    reason: 'host-not-found',
    summary: (m, p) => `${p} could not resolve the host name ${m[1]}: ${bare(m[2])}`,
  },
  {
    example: 'ssh: connect to host 127.0.0.1 port 1: Connection refused',
    pattern: /^(?:\S+: )?connect to host (\S+) port (\d+): (.+)$/,
    reason: (m) => (/timed out/i.test(m[3]) ? 'connect-timeout' : 'connect-refused'),
    summary: (m, p) => `${p} could not connect to ${m[1]} port ${m[2]}: ${inner(m[3])}`,
  },
  {
    // A jump host's answer to `ssh -W`: it could not connect to the next hop.
    example: 'channel 0: open failed: connect failed: Connection refused',
    pattern: FORWARD_FAILED,
    reason: (m) =>
      /timed out/i.test(m[2])
        ? 'connect-timeout'
        : /not known|name resolution|no address|nodename nor servname/i.test(m[2])
          ? 'host-not-found'
          : 'connect-refused',
    summary: (m, p) =>
      `a jump host of ${p} could not open a connection onward: ${m[1] === 'connect failed' ? inner(m[2]) : `${m[1]}: ${bare(m[2])}`}`,
    hint: JUMP_FORWARD_HINT,
  },
  {
    example: 'Connection to 127.0.0.1 port 2222 timed out',
    pattern: /^Connection to (\S+) port (\d+) timed out$/,
    reason: 'connect-timeout',
    summary: (m, p) => `${p} could not connect to ${m[1]} port ${m[2]}: the server did not answer in time`,
  },
  {
    example: 'Connection timed out during banner exchange',
    pattern: /^Connection timed out during banner exchange$/,
    reason: 'connect-timeout',
    summary: (_m, p) => `${p} could not connect: the server did not answer in time (during the banner exchange)`,
  },

  // ---- the server closing or the connection breaking ----
  {
    example: 'Timeout, server 127.0.0.1 not responding.',
    pattern: /^Timeout, server (\S+) not responding\.?$/,
    reason: 'connection-lost',
    summary: (m, _p, r, c) =>
      `connection unexpectedly closed${r}: the server ${m[1]} stopped answering keepalives${unanswered(c.keepalive)}`,
  },
  {
    example: 'Connection to 127.0.0.1 closed by remote host.',
    pattern: /^Connection to (\S+) closed by remote host\.?$/,
    reason: 'connection-lost',
    summary: (m, _p, r) => `connection unexpectedly closed${r}: the connection to ${m[1]} was closed by the remote host`,
  },
  {
    example: 'client_loop: send disconnect: Broken pipe',
    pattern: /^(client_loop: send disconnect|packet_write_wait|ssh_dispatch_run_fatal|Read from remote host \S+|Write failed): (.+)$/,
    reason: 'connection-lost',
    summary: (m, _p, r) => `connection unexpectedly closed${r}: ${bare(m[0])}`,
  },
  {
    example: 'kex_exchange_identification: Connection closed by remote host',
    pattern: /^(?:kex|ssh)_exchange_identification: (.+)$/,
    reason: 'closed-by-remote',
    summary: (m) => `the server closed the connection before the session began (${bare(m[0])})`,
  },
  {
    example: 'Connection closed by 127.0.0.1 port 2222',
    pattern: /^Connection (closed|reset) by (.+?) port (\d+)$/,
    reason: 'closed-by-remote',
    summary: (m) => `the server ${m[2]} port ${m[3]} ${m[1] === 'closed' ? 'closed' : 'reset'} the connection before the session began`,
  },
  {
    example: 'Received disconnect from 127.0.0.1 port 2222:2: Bye',
    pattern: /^Received disconnect from (.+?) port (\d+):\d+: (.*)$/,
    reason: 'closed-by-remote',
    summary: (m) => `the server ${m[1]} port ${m[2]} disconnected: ${bare(m[3])}`,
  },

  // ---- ssh refusing its own arguments ----
  {
    example: 'command-line: line 0: Bad configuration option: nosuchoption',
    // "command-line: line N:" or "FILE line N:" (a path without a colon: bash writes "FILE: line N:"),
    // then one of the errors that make ssh stop; "Unsupported option" and the like are warnings.
    pattern:
      /^(command-line|[/~]\S*[^:\s]):? line (\d+): (Bad configuration option: .+|[Mm]issing argument.*|.*no argument after keyword.*|garbage at end of line.*|Bad .+|[Ii]nvalid .+)$/,
    reason: 'invalid-input',
    summary: (m, p) => `${p} refused its configuration (${m[1]} line ${m[2]}): ${bare(m[3])}`,
    hint: 'Check the ssh options given in rsh (or the ssh_config file named there).',
  },
  {
    example: '/home/alice/.ssh/config: terminating, 1 bad configuration options',
    pattern: /^(\S+): terminating, (\d+) bad configuration options$/,
    reason: 'invalid-input',
    summary: (m, p) => `${p} refused its configuration (${m[1]}): ${m[2]} bad configuration ${m[2] === '1' ? 'option' : 'options'}`,
    hint: 'Check the ssh options given in rsh (or the ssh_config file named there).',
  },
  {
    example: 'unknown option -- Z',
    pattern: /^(?:\S+: )?(?:unknown|illegal) option -- (.)$/,
    reason: 'invalid-input',
    summary: (m, p) => `${p} does not take the option -${m[1]}`,
    hint: 'Check the rsh words: this remote shell does not know one of its options.',
  },
  {
    example: "Bad port 'abc'",
    pattern: /^Bad port '(.*)'$/,
    reason: 'invalid-input',
    summary: (m, p) => `${p} refused the port ${JSON.stringify(m[1])}`,
    hint: 'A port is a number from 1 to 65535.',
  },

  // ---- the client itself stopped ----
  {
    example: 'Killed by signal 15.',
    pattern: /^Killed by signal (\d+)\.?$/,
    reason: 'killed',
    summary: (m, p) => `${p} was killed by signal ${m[1]}`,
  },
];

/** Lines of ssh's debug output (`-v`) that tell what the plain output does not. */
export const SSH_DEBUG_EVIDENCE = {
  /** The remote command died of a signal: ssh then exits with 255 and says nothing else. */
  remoteSignal: /^debug1: client_input_channel_req: channel \d+ rtype exit-signal\b/,
  /** The session was established. */
  session: /^debug1: (?:Sending command|Entering interactive session)\b/,
  /** The remote command was sent: the session was established (the ssh of a jump host, which
   * also enters an interactive session, sends none). */
  command: /^debug1: Sending command\b/,
};

/** Informational lines of ssh that are never the reason (with `-v` at INFO level, or always). */
export const SSH_CHATTER: readonly RegExp[] = [
  /^debug\d: /,
  /^Transferred: sent \d+, received \d+ bytes/,
  /^Bytes per second: sent /,
  /^Warning: Permanently added /,
  /^OpenSSH_\S+, /,
  /^Authenticated to \S+ /,
  /^Pseudo-terminal will not be allocated/,
  // A jump host's client after its channel failed: the line before says why.
  /^stdio forwarding failed$/,
  /^(?:Shared c|C)onnection to \S+ closed\.$/,
  /^Disconnected from /,
];

/** A session was established: ssh authenticated (shown at INFO level with -v). */
export const SSH_AUTHENTICATED = /^Authenticated to \S+ /;
