// OpenSSH's settings as options of their own, turned into ssh's arguments before the host:
// `-p PORT`, `-i FILE`, `-o ConnectTimeout=S`, `-o BatchMode=yes|no`, then `-o Key=value` for
// each of sshOptions. BatchMode is on unless told otherwise, so that no password or passphrase
// prompt can ever wait on the user's terminal for a library's caller.
//
// ssh takes the first value it is given for an option, and the rsh words come first: an option
// spelled in rsh wins over these. Any other remote shell than OpenSSH's refuses them.

import { basename } from 'node:path';
import type { MultiplexOptions } from '../multiplex/options.js';
import { checkInteger, show } from '../options.js';

export interface SshOptions {
  /** `-p PORT`. */
  port?: number;
  /** `-i FILE`: the private key to offer. */
  identityFile?: string;
  /** `-o Key=value` each, in order; `true`/`false` become `yes`/`no`. */
  sshOptions?: Readonly<Record<string, string | number | boolean>>;
  /** `-o ConnectTimeout=S`, rounded up to whole seconds. */
  connectTimeoutMs?: number;
  /** `-o BatchMode=yes` (the default, unless askpass is given) or `no`: with it, ssh never
   * asks for a password. */
  batchMode?: boolean;
  /** One ssh ControlMaster per target, shared by its sessions (see multiplex/). */
  multiplex?: boolean | MultiplexOptions;
}

// The first-class ssh options: each with the ssh_config keyword it sets (which sshOptions may
// then not repeat), or null, and the arguments it becomes once checked, or null where they are
// decided with others (batchMode with askpass and sshOptions; sshOptions after its checks;
// multiplex in multiplex/). `satisfies` holds the table to SshOptions: a field there without its
// entry here, or the other way round, does not compile. Adding an option is its field, its entry
// (arguments in the order of this table) and its test.
const SSH_OPTIONS = {
  port: { keyword: 'port', args: (value) => ['-p', String(checkInteger('port', value, 1, 65535))] },
  identityFile: { keyword: 'identityfile', args: (value) => ['-i', checkText('identityFile', value)] },
  sshOptions: { keyword: null, args: null },
  connectTimeoutMs: {
    keyword: 'connecttimeout',
    args: (value) => {
      const ms = checkInteger('connectTimeoutMs', value, 1, MAX_CONNECT_TIMEOUT_MS, ' of milliseconds');
      return ['-o', `ConnectTimeout=${Math.ceil(ms / 1000)}`];
    },
  },
  batchMode: { keyword: 'batchmode', args: null },
  multiplex: { keyword: null, args: null },
} as const satisfies Record<keyof SshOptions, { keyword: string | null; args: ((value: unknown) => string[]) | null }>;

export const SSH_OPTION_KEYS: ReadonlySet<string> = new Set(Object.keys(SSH_OPTIONS));

// Keywords that multiplex sets itself.
const MULTIPLEX_KEYWORDS = new Set(['controlmaster', 'controlpath', 'controlpersist']);

// The keywords the first-class options (and `user`, given as `-l`) set: sshOptions may not repeat them.
const KEYWORDS: Readonly<Record<string, keyof SshOptions | 'user'>> = {
  ...Object.fromEntries(
    Object.entries(SSH_OPTIONS).flatMap(([key, { keyword }]) => (keyword === null ? [] : [[keyword, key as keyof SshOptions]])),
  ),
  user: 'user',
};

// Keywords refused in sshOptions: ssh refuses the first three on its command line, and HostName
// would send ssh elsewhere than the host that was checked and that the argv shows.
const REFUSED_KEYWORDS: Readonly<Record<string, string>> = {
  host: 'ssh takes no Host block on its command line',
  match: 'ssh takes no Match block on its command line',
  include: 'ssh takes no Include on its command line',
  hostname: 'it would connect elsewhere than host: give the host as host',
};

// ConnectTimeout beyond this many seconds is refused: a day is already no timeout at all.
const MAX_CONNECT_TIMEOUT_MS = 86_400_000;

/** Whether the remote shell is OpenSSH's client (its program is `ssh`). */
function isOpenSsh(words: readonly string[]): boolean {
  const program = basename(words[0] ?? '').toLowerCase();
  return program === 'ssh' || program === 'ssh.exe';
}

// `-o BatchMode=yes`, `-oBatchMode=yes`, `-o "BatchMode yes"` among the rsh words.
function batchModeInWords(words: readonly string[]): boolean {
  return words.some((word, i) => {
    const option = word === '-o' ? (words[i + 1] ?? '') : word.startsWith('-o') ? word.slice(2) : '';
    return /^\s*batchmode\s*[=\s]\s*(yes|true)\s*$/i.test(option);
  });
}

function checkText(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string, got ${show(value)}`);
  if (/[\0\r\n]/.test(value)) throw new RangeError(`${name} holds a NUL byte or a line break, which ssh would misread, got ${show(value)}`);
  return value;
}

function optionValue(key: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    // ssh's numbers are counts and seconds: whole and not negative.
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`sshOptions.${key} must be a whole number from 0 up, or a string, got ${value}`);
    return String(value);
  }
  const text = checkText(`sshOptions.${key}`, value);
  if (text.startsWith('-')) throw new RangeError(`sshOptions.${key} may not begin with '-', got ${show(text)}`);
  return text;
}

export interface SshArgsContext {
  /** A user given as `-l user`, which sshOptions.User may not contradict. */
  user?: string;
  /** ssh must say when it has authenticated (LogLevel VERBOSE, unless sshOptions sets LogLevel):
   * with retry, so that a remote command's own failure never passes for ssh's. */
  sessionEvidence?: boolean;
  /** An askpass callback is given: prompts are answered, so BatchMode is off unless told. */
  askpass?: boolean;
  /** The platform ssh runs on (process.platform unless a test says). */
  platform?: NodeJS.Platform;
}

/**
 * ssh's arguments for the options, checked; [] when none is given and the remote shell is not
 * OpenSSH's.
 * @throws TypeError or RangeError naming the option, and TypeError when the remote shell is not
 * OpenSSH's client.
 */
export function sshOptionArgs(options: SshOptions, rshWords: readonly string[], context: SshArgsContext = {}): string[] {
  const given = [...SSH_OPTION_KEYS].filter((key) => (options as Record<string, unknown>)[key] !== undefined);
  if (context.askpass) given.push('askpass');
  if (!isOpenSsh(rshWords)) {
    if (given.length === 0) return [];
    throw new TypeError(
      `${given.join(', ')} ${given.length === 1 ? 'is an option' : 'are options'} of OpenSSH's ssh, and the remote shell is ${JSON.stringify(rshWords[0])}: give its own options in rsh`,
    );
  }
  const args: string[] = [];
  for (const [key, { args: argsOf }] of Object.entries(SSH_OPTIONS)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined && argsOf !== null) args.push(...argsOf(value));
  }
  const { sshOptions, batchMode } = options;
  if (batchMode !== undefined && typeof batchMode !== 'boolean')
    throw new TypeError(`batchMode must be true or false, got ${show(batchMode)}`);
  if (batchMode === true && context.askpass)
    throw new TypeError('batchMode: true and askpass contradict each other: in batch mode ssh asks nothing');
  if (context.askpass && batchModeInWords(rshWords)) {
    throw new TypeError(
      'rsh sets BatchMode yes, which contradicts askpass (ssh takes the first value, and the rsh words come first): remove it from rsh',
    );
  }
  const prototype = typeof sshOptions === 'object' && sshOptions !== null ? Object.getPrototypeOf(sshOptions) : undefined;
  if (sshOptions !== undefined && prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`sshOptions must be a plain object of ssh_config keywords and values, got ${show(sshOptions)}`);
  }
  const entries = Object.entries(sshOptions ?? {});
  const seen = new Map<string, string>();
  for (const [key] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key))
      throw new RangeError(`sshOptions has a key that is no ssh_config keyword: ${JSON.stringify(key)}`);
    const lower = key.toLowerCase();
    if (REFUSED_KEYWORDS[lower] !== undefined) throw new RangeError(`sshOptions.${key} is refused: ${REFUSED_KEYWORDS[lower]}`);
    if (seen.has(lower))
      throw new TypeError(`sshOptions gives ${seen.get(lower)} and ${key}, the same keyword: ssh would take the first alone`);
    seen.set(lower, key);
    const own = KEYWORDS[lower];
    const given = own === 'user' ? context.user : own === undefined ? undefined : options[own];
    if (own !== undefined && given !== undefined) throw new TypeError(`sshOptions.${key} repeats the option ${own}: give one of them`);
    if (MULTIPLEX_KEYWORDS.has(lower) && options.multiplex !== undefined && options.multiplex !== false) {
      throw new TypeError(
        `sshOptions.${key} and multiplex contradict each other: multiplex sets ControlMaster, ControlPath and ControlPersist itself`,
      );
    }
    if (lower === 'batchmode' && context.askpass && /^(yes|true)$/i.test(String(sshOptions![key]))) {
      throw new TypeError(`sshOptions.${key} and askpass contradict each other: in batch mode ssh asks nothing`);
    }
  }
  // BatchMode given in sshOptions stands for batchMode; otherwise it is on unless told.
  if (!entries.some(([key]) => key.toLowerCase() === 'batchmode'))
    args.push('-o', `BatchMode=${batchMode === false || (batchMode === undefined && context.askpass) ? 'no' : 'yes'}`);
  if (context.sessionEvidence && !seen.has('loglevel')) args.push('-o', 'LogLevel=VERBOSE');
  // Win32-OpenSSH's ControlMaster cannot take connections (getsockname failed: Not a socket): a
  // user's ssh config that turns it on must not break every session. Options given here win.
  if ((context.platform ?? process.platform) === 'win32' && !seen.has('controlmaster') && !seen.has('controlpath'))
    args.push('-o', 'ControlMaster=no', '-o', 'ControlPath=none');
  for (const [key, value] of entries) args.push('-o', `${key}=${optionValue(key, value)}`);
  return args;
}
