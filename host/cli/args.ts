// The command line of rsh-transport: its own long options first, then the remote shell's
// arguments, passed on untouched the way ssh receives them.

import { DEFAULT_DRAIN_TIMEOUT_MS, MAX_TIMER_MS } from '../options.js';

export interface CliOptions {
  rsh: string | undefined;
  quietStderr: boolean;
  /** Whether forwarded stderr is made terminal-safe: 'auto' when stderr is a terminal. */
  sanitize: boolean | 'auto';
  drainTimeoutMs: number | undefined;
  /** Ends the remote shell when no protocol byte moved this long (the bytes then pass through). */
  stallTimeoutMs: number | undefined;
  help: boolean;
  version: boolean;
  /** Everything after our own options, for the remote shell. */
  args: string[];
}

export class UsageError extends Error {}

/** The variable that names the command's default remote shell (never RSYNC_RSH: rsync reads that
 * one, and it may name this very command). */
export const DEFAULT_RSH_VARIABLE = 'RSH_TRANSPORT_RSH';

export const USAGE = `usage: rsh-transport [--rsh=CMD] [--quiet-stderr] [--sanitize=WHEN] [--drain-timeout=MS]
                     [--stall-timeout=MS] [--] ARGS...

Runs the remote shell (CMD, else $${DEFAULT_RSH_VARIABLE}, else ssh) with ARGS exactly as given,
handing it this command's own stdin and stdout: the protocol bytes never pass through here. Its
stderr is forwarded line by line and kept in a bounded ring; on failure a last line says why,
and the exit status is the remote shell's (128+N for signal N). Signals go on to the remote
shell (SIGUSR1 and SIGUSR2 as SIGTERM).

  --rsh=CMD            the remote shell, split the way rsync splits -e/--rsh
  --quiet-stderr       forward stderr only on failure
  --sanitize=WHEN      show control characters of forwarded stderr visibly (^[), colours kept:
                       auto (when stderr is a terminal, the default), always, never
  --drain-timeout=MS   keep reading stderr this long after the remote shell exits (default ${DEFAULT_DRAIN_TIMEOUT_MS})
  --stall-timeout=MS   end the remote shell (status 255, as ssh's lost connection) when no protocol
                       byte has moved either way for MS; the bytes then pass through this command
                       instead of going from fd to fd (0: no watchdog, the default)
  --help, --version

Works as rsync's remote shell (rsync -e 'rsh-transport --rsh="ssh -p 2222"' ...) and as
GIT_SSH_COMMAND.`;

const VALUED = ['--rsh', '--drain-timeout', '--stall-timeout', '--sanitize'];
const SANITIZE: Readonly<Record<string, boolean | 'auto'>> = { auto: 'auto', always: true, never: false };

/** Parses our options, which may only come before ARGS; the first other argument starts ARGS. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    rsh: undefined,
    quietStderr: false,
    sanitize: 'auto',
    drainTimeoutMs: undefined,
    stallTimeoutMs: undefined,
    help: false,
    version: false,
    args: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('--')) break;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (VALUED.includes(name) && value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
    } else if (!VALUED.includes(name) && value !== undefined) {
      throw new UsageError(`${name} takes no value`);
    }
    switch (name) {
      case '--rsh':
        options.rsh = value;
        break;
      case '--quiet-stderr':
        options.quietStderr = true;
        break;
      case '--sanitize':
        if (!Object.hasOwn(SANITIZE, value!)) throw new UsageError(`--sanitize needs auto, always or never, got ${JSON.stringify(value)}`);
        options.sanitize = SANITIZE[value!];
        break;
      case '--drain-timeout':
        options.drainTimeoutMs = milliseconds(name, value!);
        break;
      case '--stall-timeout': {
        const ms = milliseconds(name, value!);
        options.stallTimeoutMs = ms === 0 ? undefined : ms;
        break;
      }
      case '--help':
        options.help = true;
        break;
      case '--version':
        options.version = true;
        break;
      default:
        throw new UsageError(`unknown option ${name}`);
    }
  }
  options.args = argv.slice(i);
  if (!options.help && !options.version && options.args.length === 0) {
    throw new UsageError('no arguments for the remote shell (at least a host)');
  }
  return options;
}

function milliseconds(name: string, value: string): number {
  const ms = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(ms <= MAX_TIMER_MS)) {
    throw new UsageError(`${name} needs a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${JSON.stringify(value)}`);
  }
  return ms;
}
