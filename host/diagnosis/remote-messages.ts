// The remote program's own error lines, as the shells and tools at the far end print them: the
// lines that say why a remote command failed, kept over whatever else it printed.
//
// Each pattern has a rank: 1 for a line that names a cause ("rsync: change_dir ... failed"), 2 for
// one that sums up ("rsync error: ... (code 23)"), 3 for a line that merely looks like an error.
// The first line of the best rank becomes the error's first line.

export interface RemoteMessage {
  readonly example: string;
  readonly pattern: RegExp;
  readonly rank: 1 | 2 | 3;
}

export const REMOTE_MESSAGES: readonly RemoteMessage[] = [
  // The shell that sshd runs the command with, when the command is not there or cannot run.
  // bash says "bash: line 1: X: command not found", dash "sh: 1: X: not found".
  { example: 'bash: line 1: rsyncx: command not found', pattern: /^[a-z]*sh(?:: line \d+|: \d+)?: (.+): (?:command )?not found$/, rank: 1 },
  { example: 'zsh:1: command not found: rsyncx', pattern: /^\S+:\d+: command not found: (.+)$/, rank: 1 },
  {
    example: 'bash: line 1: /etc/passwd: Permission denied',
    pattern: /^[a-z]*sh(?:: line \d+|: \d+)?: (.+): (?:Permission denied|cannot execute.*|Is a directory)$/,
    rank: 1,
  },
  // rsync: the cause, then its summary.
  { example: 'rsync: [sender] change_dir "/srv/data" failed: Permission denied (13)', pattern: /^rsync: /, rank: 1 },
  {
    example: 'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.5.0]',
    pattern: /^rsync (?:error|warning): /,
    rank: 2,
  },
  // git and the many tools that speak like it.
  { example: "fatal: '/srv/repo.git' does not appear to be a git repository", pattern: /^fatal: /, rank: 1 },
  { example: 'error: remote unpack failed: unable to create temporary object directory', pattern: /^(?:error|ERROR|Error): /, rank: 1 },
  // A shell reporting how the program it ran died.
  {
    example: 'bash: line 1: 4242 Segmentation fault      (core dumped) ./backup',
    pattern: /\b(?:Segmentation fault|Bus error|Illegal instruction|Aborted|Killed)\b(?: +\(core dumped\))?/,
    rank: 1,
  },
  // Anything else shaped like "program: what went wrong", but not a warning or a note.
  {
    example: 'tar: backup.tar: Cannot open: No such file or directory',
    pattern:
      /^(?!(?:warning|info|note|notice|debug\d?)\b)[\w./-]+(?:\[\d+\])?: (?!(?:warning|info|note|notice)\b).*\b(?:error|failed|denied|not found|No such file or directory|cannot|can't|unable|refused|invalid|aborted|full)\b/i,
    rank: 3,
  },
];

/** The rank of a remote error line, or 0 when it is not one. */
export function remoteRank(plain: string): number {
  for (const message of REMOTE_MESSAGES) if (message.pattern.test(plain)) return message.rank;
  return 0;
}

// rsync's exit values (rsync(1), EXIT VALUES): the status of a remote rsync says what kind of
// failure it was even when its own lines are gone.
const RSYNC_EXIT_VALUES: Readonly<Record<number, string>> = {
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files, dirs',
  4: 'requested action not supported',
  5: 'error starting client-server protocol',
  10: 'error in socket I/O',
  11: 'error in file I/O',
  12: 'error in rsync protocol data stream',
  13: 'errors with program diagnostics',
  14: 'error in IPC code',
  20: 'received SIGUSR1 or SIGINT',
  21: 'some error returned by waitpid()',
  22: 'error allocating core memory buffers',
  23: 'partial transfer due to error',
  24: 'partial transfer due to vanished source files',
  25: 'the --max-delete limit stopped deletions',
  30: 'timeout in data send/receive',
  35: 'timeout waiting for daemon connection',
};

/** A hint for a remote rsync's exit status, when the lines say it was rsync. */
export function rsyncHint(status: number, plainLines: readonly string[]): string | null {
  const meaning = RSYNC_EXIT_VALUES[status];
  if (meaning === undefined || !plainLines.some((line) => /^rsync(?: error| warning)?: /.test(line))) return null;
  return `rsync's exit code ${status} means ${meaning} (rsync(1), EXIT VALUES); its own lines above say which files.`;
}
