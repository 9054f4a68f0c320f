// Why a remote shell failed, as a stable word a program can switch on (Ansible's UNREACHABLE
// against FAILED, without parsing English), with the sentence on what to do that goes with it.

export const REASONS = [
  'connect-refused',
  'host-not-found',
  'connect-timeout',
  'connection-lost',
  'closed-by-remote',
  'auth-failed',
  'host-key-unknown',
  'host-key-changed',
  'negotiation-failed',
  'remote-command-not-found',
  'remote-command-not-executable',
  'remote-command-failed',
  'killed',
  'stalled',
  'spawn-failed',
  'aborted',
  'invalid-input',
  'unknown',
] as const;

/** The classification of a failure; see the README's table of reasons. */
export type RemoteShellFailureReason = (typeof REASONS)[number];

/** Reasons that mean the connection was never established: nothing reached the remote command. */
export const NEVER_CONNECTED: ReadonlySet<RemoteShellFailureReason> = new Set([
  'connect-refused',
  'host-not-found',
  'connect-timeout',
  'closed-by-remote',
  'auth-failed',
  'host-key-unknown',
  'host-key-changed',
  'negotiation-failed',
]);

/** What to do, by reason; null where the first line already says it all. */
export const HINTS: Readonly<Record<RemoteShellFailureReason, string | null>> = {
  'connect-refused': 'Check the host and port, and that an SSH server is running and reachable there.',
  'host-not-found': 'Check the spelling of the host name, or the name service (DNS, /etc/hosts, ssh_config Host entries).',
  'connect-timeout': 'Check that the host is up and that no firewall drops the connection; a slow network needs a longer ConnectTimeout.',
  'connection-lost': 'The network or the server failed during the session: try again; ServerAliveInterval detects a dead peer sooner.',
  'closed-by-remote':
    'The server closed the connection before authentication (MaxStartups, LoginGraceTime, DenyUsers, fail2ban, or not an SSH server): see its log.',
  'auth-failed':
    "Check the user name and the key (-i, IdentitiesOnly, the agent), and that the key is in the server's authorized_keys; BatchMode allows no password prompt.",
  'host-key-unknown':
    "Add the server's host key to known_hosts after checking its fingerprint (ssh-keyscan, or one interactive ssh), or name a known_hosts file that has it.",
  'host-key-changed':
    "Confirm the new host key with the server's administrator before replacing the old one (ssh-keygen -R HOST): it may be an attack.",
  'negotiation-failed':
    'Client and server share no algorithm: allow one the server offers (KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs with a leading +), or update the older side.',
  'remote-command-not-found':
    "Install the program on the remote host or give its full path (rsync: --rsync-path); the remote PATH of a non-interactive shell may be shorter than a login shell's.",
  'remote-command-not-executable': "Check the remote program's path and permissions (chmod +x), and that it is not a directory.",
  'remote-command-failed': null,
  killed: 'A signal ended it: a timeout, the out-of-memory killer, an administrator, or kill().',
  stalled:
    'Nothing moved through the stream for stallTimeoutMs while it was waited on: a remote command that hung or waits on something else, or a peer gone without keepalives; raise stallTimeoutMs for a command that thinks long before it answers.',
  'spawn-failed': null,
  aborted: null,
  'invalid-input': null,
  unknown: 'Run the remote shell with -v (ssh -v) to see more of what happened.',
};
