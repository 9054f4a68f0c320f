// OpenSSH's settings as options of their own, turned into ssh's arguments before the host:
// `-p PORT`, `-i FILE`, `-o ConnectTimeout=S`, `-o ServerAliveInterval=S -o
// ServerAliveCountMax=N`, `-o BatchMode=yes|no`, then `-o Key=value` for each of sshOptions.
// BatchMode is on unless told otherwise, so that no password or passphrase prompt can ever wait
// on the user's terminal for a library's caller; a connect timeout and keepalives are on unless
// told otherwise, so that neither a host that never answers nor a peer that vanished without a
// reset (a NAT that forgot the flow, a host that crashed) leaves a transfer waiting for hours.
//
// ssh takes the first value it is given for an option, and the rsh words come first: an option
// spelled in rsh wins over these. Any other remote shell than OpenSSH's refuses them.

import { basename } from 'node:path';
import type { MultiplexOptions } from '../multiplex/options.js';
import type { JumpOption } from './jump.js';
import { checkInteger, refuseUnknownKeys, show } from '../options.js';

export interface SshOptions {
  /** `-p PORT`. */
  port?: number;
  /** `-i FILE`: the private key to offer. */
  identityFile?: string;
  /** `-o Key=value` each, in order; `true`/`false` become `yes`/`no`. */
  sshOptions?: Readonly<Record<string, string | number | boolean>>;
  /** `-o ConnectTimeout=S`, rounded up to whole seconds: 30000 unless given, `0` for ssh's own
   * (none). Not added when rsh or sshOptions sets ConnectTimeout. */
  connectTimeoutMs?: number;
  /** `-o ServerAliveInterval=S -o ServerAliveCountMax=N`: ssh asks the server every interval
   * over the encrypted channel, and ends the session after `count` questions without an answer.
   * `{ intervalMs: 15000, count: 3 }` unless given (each keyword not added when rsh or
   * sshOptions sets it), `false` for none. */
  keepalive?: false | KeepaliveOptions;
  /** `-o StrictHostKeyChecking=yes|accept-new|ask` and `-o UserKnownHostsFile=FILE...`: how an
   * unknown host key is taken, and where known keys are. 'ask' needs askpass. */
  hostKeys?: HostKeyOptions;
  /** `-J hop,...` (ProxyJump): the jump hosts ssh goes through, in order, each checked as the
   * host is. A hop takes its settings from ssh's configuration, not from these options. */
  jump?: JumpOption;
  /** `-o BatchMode=yes` (the default, unless askpass is given) or `no`: with it, ssh never
   * asks for a password. */
  batchMode?: boolean;
  /** One ssh ControlMaster per target, shared by its sessions (see multiplex/). */
  multiplex?: boolean | MultiplexOptions;
}

export interface KeepaliveOptions {
  /** How often ssh asks whether the server is there, rounded up to whole seconds. Default 15000 ms. */
  intervalMs?: number;
  /** How many questions may go unanswered before ssh ends the session. Default 3. */
  count?: number;
}

export interface HostKeyOptions {
  /** 'strict': only keys already known; 'accept-new': a host's first key is recorded, a changed
   * one refused; 'ask': askpass confirms an unknown key. */
  policy: 'strict' | 'accept-new' | 'ask';
  /** The known-hosts file or files (in place of ~/.ssh/known_hosts). */
  knownHostsFile?: string | readonly string[];
}

const POLICIES: Readonly<Record<HostKeyOptions['policy'], string>> = { strict: 'yes', 'accept-new': 'accept-new', ask: 'ask' };

function hostKeyArgs(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`hostKeys must be { policy, knownHostsFile }, got ${show(value)}`);
  refuseUnknownKeys(value, ['policy', 'knownHostsFile'], 'hostKeys');
  const { policy, knownHostsFile } = value as Partial<Record<keyof HostKeyOptions, unknown>>;
  if (typeof policy !== 'string' || !Object.hasOwn(POLICIES, policy))
    throw new TypeError(`hostKeys.policy must be 'strict', 'accept-new' or 'ask', got ${show(policy)}`);
  const args = ['-o', `StrictHostKeyChecking=${POLICIES[policy as HostKeyOptions['policy']]}`];
  if (knownHostsFile === undefined) return args;
  const files = typeof knownHostsFile === 'string' ? [knownHostsFile] : knownHostsFile;
  if (!Array.isArray(files) || files.length === 0)
    throw new TypeError(`hostKeys.knownHostsFile must be a path or a non-empty array of paths, got ${show(knownHostsFile)}`);
  const words = files.map((file: unknown, i) => {
    const path = checkText(`hostKeys.knownHostsFile${typeof knownHostsFile === 'string' ? '' : `[${i}]`}`, file);
    // ssh expands ${NAME} in the value to an environment variable, with no way to write it literally.
    if (path.includes('${'))
      throw new RangeError(`hostKeys.knownHostsFile may not hold "\${" (ssh reads it as an environment variable), got ${show(path)}`);
    // ssh expands %-tokens in the value (a literal % is written %%), splits it at blanks outside
    // quotes, and (from OpenSSH 8.7) reads a backslash before a quote, a backslash or a blank as
    // an escape: a path that holds any of those goes in double quotes, each quote and backslash
    // escaped. Any other path goes as it is, which every version reads alike.
    const literal = path.replaceAll('%', '%%');
    return /[\s'"]|\\[\\'"\s]/.test(literal) ? `"${literal.replace(/['"\\]/g, (c) => `\\${c}`)}"` : literal;
  });
  return [...args, '-o', `UserKnownHostsFile=${words.join(' ')}`];
}

/** What ssh gets unless told otherwise: a dead peer ends a session within 45 to 60 s, a
 * connection that is never made within 30 s. */
export const DEFAULT_KEEPALIVE = { intervalMs: 15_000, count: 3 } as const;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
// ssh's own default of ServerAliveCountMax.
const SSH_DEFAULT_ALIVE_COUNT = 3;
const MAX_ALIVE_COUNT = 1000;

const seconds = (ms: number): number => Math.ceil(ms / 1000);

function keepaliveArgs(value: unknown): string[] {
  if (value === false) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`keepalive must be false or { intervalMs, count }, got ${show(value)}`);
  refuseUnknownKeys(value, ['intervalMs', 'count'], 'keepalive');
  const given = value as Partial<Record<keyof KeepaliveOptions, unknown>>;
  const intervalMs =
    given.intervalMs === undefined
      ? DEFAULT_KEEPALIVE.intervalMs
      : checkInteger('keepalive.intervalMs', given.intervalMs, 1, MAX_CONNECT_TIMEOUT_MS, ' of milliseconds');
  const count = given.count === undefined ? DEFAULT_KEEPALIVE.count : checkInteger('keepalive.count', given.count, 1, MAX_ALIVE_COUNT);
  return ['-o', `ServerAliveInterval=${seconds(intervalMs)}`, '-o', `ServerAliveCountMax=${count}`];
}

// The first-class ssh options: each with the ssh_config keyword it sets (which sshOptions may
// then not repeat), or null, and the arguments it becomes once checked, or null where they are
// decided with others (batchMode with askpass and sshOptions; sshOptions after its checks;
// multiplex in multiplex/). `satisfies` holds the table to SshOptions: a field there without its
// entry here, or the other way round, does not compile. Adding an option is its field, its entry
// (arguments in the order of this table) and its test.
const SSH_OPTIONS = {
  port: { keywords: ['port'], args: (value) => ['-p', String(checkInteger('port', value, 1, 65535))] },
  identityFile: { keywords: ['identityfile'], args: (value) => ['-i', checkText('identityFile', value)] },
  sshOptions: { keywords: [], args: null },
  connectTimeoutMs: {
    keywords: ['connecttimeout'],
    args: (value) => {
      const ms = checkInteger('connectTimeoutMs', value, 0, MAX_CONNECT_TIMEOUT_MS, ' of milliseconds');
      return ms === 0 ? [] : ['-o', `ConnectTimeout=${seconds(ms)}`];
    },
  },
  keepalive: { keywords: ['serveraliveinterval', 'serveralivecountmax'], args: keepaliveArgs },
  hostKeys: { keywords: ['stricthostkeychecking', 'userknownhostsfile'], args: hostKeyArgs },
  // -J is built with the host's checks (rsh/jump.ts, by buildRemoteShellArgv).
  jump: { keywords: ['proxyjump'], args: null },
  batchMode: { keywords: ['batchmode'], args: null },
  multiplex: { keywords: [], args: null },
} as const satisfies Record<keyof SshOptions, { keywords: readonly string[]; args: ((value: unknown) => string[]) | null }>;

export const SSH_OPTION_KEYS: ReadonlySet<string> = new Set(Object.keys(SSH_OPTIONS));

// The options that stand for a default when they are not given, with the arguments of that
// default keyword by keyword: a keyword set in the rsh words or in sshOptions is left to them.
const DEFAULTS: ReadonlyArray<{ key: keyof SshOptions; keyword: string; args: string[] }> = [
  { key: 'connectTimeoutMs', keyword: 'connecttimeout', args: ['-o', `ConnectTimeout=${seconds(DEFAULT_CONNECT_TIMEOUT_MS)}`] },
  { key: 'keepalive', keyword: 'serveraliveinterval', args: ['-o', `ServerAliveInterval=${seconds(DEFAULT_KEEPALIVE.intervalMs)}`] },
  { key: 'keepalive', keyword: 'serveralivecountmax', args: ['-o', `ServerAliveCountMax=${DEFAULT_KEEPALIVE.count}`] },
];

// Keywords that multiplex sets itself.
const MULTIPLEX_KEYWORDS = new Set(['controlmaster', 'controlpath', 'controlpersist']);

// The keywords the first-class options (and `user`, given as `-l`) set: sshOptions may not repeat them.
const KEYWORDS: Readonly<Record<string, keyof SshOptions | 'user'>> = {
  ...Object.fromEntries(Object.entries(SSH_OPTIONS).flatMap(([key, { keywords }]) => keywords.map((keyword) => [keyword, key]))),
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
export function isOpenSsh(words: readonly string[]): boolean {
  const program = basename(words[0] ?? '').toLowerCase();
  return program === 'ssh' || program === 'ssh.exe';
}

/** Whether ssh's flag `-X` is among its options: alone, grouped (`-qX`), its value attached
 * (`-Xvalue`) or in the next word; not a word that is another flag's value (`-E -X`), nor one
 * after the destination (the remote command's). */
export function flagInWords(words: readonly string[], flag: string): boolean {
  return sshFlags(words).some((found) => found.flag === flag);
}

/** The `-o` settings among ssh's options, as written: `-o K=V`, `-oK=V`, `-o "K V"`, and after
 * grouped flags (`-qoK=V`). */
export function optionsInWords(words: readonly string[]): string[] {
  return sshFlags(words).flatMap(({ flag, value }) => (flag === 'o' && value !== undefined ? [value] : []));
}

interface Flag {
  flag: string;
  value: string | undefined;
}

// ssh's flags, as its getopt reads them. ssh reads options after the destination too (`ssh host
// -v cmd`), up to the first word that is none, unless `--` ended them before it.
function sshFlags(words: readonly string[]): Flag[] {
  const before = scanOptions(words, 1);
  if (before.end >= words.length || words[before.end] === '--') return before.flags;
  return [...before.flags, ...scanOptions(words, before.end + 1).flags];
}

// One run of options from `argv[from]`: each word a group of flags read in turn, until one that
// takes an argument, whose value is the rest of the word or the next word. The run ends at `--`,
// at `-`, or at the first word that is no option; `end` is that word's index.
function scanOptions(argv: readonly string[], from: number): { flags: Flag[]; end: number } {
  const flags: Flag[] = [];
  let i = from;
  for (; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--' || !word.startsWith('-') || word === '-') break;
    for (let c = 1; c < word.length; c++) {
      const flag = word[c];
      if (!ARGUMENT_FLAGS.includes(flag)) {
        flags.push({ flag, value: undefined });
        continue;
      }
      flags.push({ flag, value: c < word.length - 1 ? word.slice(c + 1) : argv[++i] });
      break;
    }
  }
  return { flags, end: Math.min(i, argv.length) };
}

/** Whether ssh runs quiet (-q, LogLevel QUIET) or through a proxy (ProxyCommand, ProxyJump, -J). */
export function quietOrProxied(argv: readonly string[]): boolean {
  if (flagInWords(argv, 'q') || flagInWords(argv, 'J')) return true;
  if (/^quiet$/i.test(optionInWords(argv, 'loglevel') ?? '')) return true;
  return ['proxycommand', 'proxyjump'].some((keyword) => !/^(none)?$/i.test(optionInWords(argv, keyword) ?? ''));
}

/** The value of the first `-o` setting of `keyword` among the rsh words (which ssh takes), or
 * undefined. */
export function optionInWords(words: readonly string[], keyword: string): string | undefined {
  for (const option of optionsInWords(words)) {
    // ssh takes the keyword quoted too (`"ServerAliveInterval" 5`).
    const match = /^\s*"?([A-Za-z][A-Za-z0-9]*)"?\s*(?:=\s*|\s+)(.*?)\s*$/.exec(option);
    if (match && match[1].toLowerCase() === keyword) return match[2];
  }
  return undefined;
}

// ssh's flags that take an argument (in the next word, or attached).
const ARGUMENT_FLAGS = 'BbcDEeFIiJLlmOoPpQRSWw';

/** The words of ssh's argv before its destination: the program, then its options and their
 * values; what follows (the host and the remote command) may hold anything. */
export function sshOptionWords(argv: readonly string[]): readonly string[] {
  return argv.slice(0, scanOptions(argv, 1).end);
}

/** The value of ssh's flag `-X` among its options (`-X value`, `-Xvalue`, after grouped flags
 * that take none: `-qX value`), the first one, or undefined. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  return sshFlags(argv).find((found) => found.flag === flag)?.value;
}

/** The jump hosts ssh goes through, as its argv names them (`-J a,b`, `-Ja`, `-o ProxyJump=a`;
 * -J first, as ssh takes it), in order; [] for none. ssh's configuration may name others. */
export function jumpsOf(argv: readonly string[]): string[] {
  const spec = flagValue(argv, 'J') ?? optionInWords(sshOptionWords(argv), 'proxyjump');
  if (spec === undefined || /^none$/i.test(spec.trim())) return [];
  return spec
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
}

/** The destination word of ssh's argv, as written (`[user@]host`, `ssh://...`), or undefined. */
export function destinationWord(argv: readonly string[]): string | undefined {
  const at = sshOptionWords(argv).length;
  return argv[at] === '--' ? argv[at + 1] : argv[at];
}

/** The destination as ssh's argv gives it, with `-l USER` and `-p PORT` when given there
 * (`alice@db:2200`); undefined when there is none. */
export function destinationOf(argv: readonly string[]): string | undefined {
  let host = destinationWord(argv);
  if (host === undefined) return undefined;
  const user = flagValue(argv, 'l');
  if (user !== undefined && !host.includes('@')) host = `${user}@${host}`;
  const port = flagValue(argv, 'p');
  if (port === undefined) return host;
  // An IPv6 address before a port goes in brackets, as ssh writes it (alice@[::1]:2200).
  const name = host.slice(host.lastIndexOf('@') + 1);
  const bracketed = name.includes(':') && !name.startsWith('[') ? `${host.slice(0, host.length - name.length)}[${name}]` : host;
  return `${bracketed}:${port}`;
}

// `-o BatchMode=yes`, `-oBatchMode=yes`, `-o "BatchMode yes"` among the rsh words.
function batchModeInWords(words: readonly string[]): boolean {
  return /^(yes|true)$/i.test(optionInWords(words, 'batchmode') ?? '');
}

export interface Keepalive {
  intervalSeconds: number;
  count: number;
}

/** The keepalive ssh runs with, from its argv (ssh takes the first value of each keyword);
 * undefined when no interval is set there (none, or one from ssh_config, which the argv does not
 * show). ssh asks every interval and gives up when the answers to `count` questions are missing
 * at the next one: a dead peer ends the session `count` to `count + 1` intervals after it went. */
export function keepaliveOf(argv: readonly string[]): Keepalive | undefined {
  const intervalSeconds = Number(optionInWords(argv, 'serveraliveinterval'));
  const count = Number(optionInWords(argv, 'serveralivecountmax') ?? SSH_DEFAULT_ALIVE_COUNT);
  if (!(intervalSeconds > 0) || !Number.isSafeInteger(intervalSeconds) || !Number.isSafeInteger(count)) return undefined;
  return { intervalSeconds, count };
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
  // A flag that takes a value, last in rsh, would take the next word of the argv as it: an
  // option of the library's (-o), or the host.
  const last = rshWords.length > 1 ? sshFlags(rshWords).at(-1) : undefined;
  if (last !== undefined && last.value === undefined && ARGUMENT_FLAGS.includes(last.flag))
    throw new TypeError(`rsh ends with ssh's -${last.flag}, which takes a value: ssh would take the next word of the argv as it`);
  const args: string[] = [];
  for (const [key, { args: argsOf }] of Object.entries(SSH_OPTIONS)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined && argsOf !== null) args.push(...argsOf(value));
  }
  const { sshOptions, batchMode } = options;
  if (options.jump !== undefined) {
    const inRsh = flagInWords(sshOptionWords(rshWords), 'J') || optionInWords(rshWords, 'proxyjump') !== undefined;
    if (inRsh) throw new TypeError('jump and a -J or ProxyJump in rsh both name jump hosts: give them in one place');
    const proxy =
      optionInWords(rshWords, 'proxycommand') !== undefined ||
      Object.keys(options.sshOptions ?? {}).some((key) => key.toLowerCase() === 'proxycommand');
    if (proxy) throw new TypeError('jump and ProxyCommand contradict each other: ssh reaches the host through one of them');
  }
  if (options.hostKeys !== undefined) {
    // ssh takes a keyword's first value, and the rsh words come first: one there would win unseen.
    const keywords = ['stricthostkeychecking', ...(options.hostKeys.knownHostsFile === undefined ? [] : ['userknownhostsfile'])];
    const inRsh = keywords.find((keyword) => optionInWords(rshWords, keyword) !== undefined);
    if (inRsh !== undefined)
      throw new TypeError(
        `hostKeys and a ${inRsh === 'stricthostkeychecking' ? 'StrictHostKeyChecking' : 'UserKnownHostsFile'} in rsh both say how host keys are checked (ssh takes the first value, and the rsh words come first): give it in one place`,
      );
  }
  if (options.hostKeys?.policy === 'ask' && !context.askpass)
    throw new TypeError("hostKeys.policy 'ask' needs askpass, which answers ssh's question about an unknown host key");
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
    // keepalive: false asks for no default; sshOptions may then set the keywords.
    const given =
      own === 'user' ? context.user : own === undefined || (own === 'keepalive' && options.keepalive === false) ? undefined : options[own];
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
  for (const fallback of DEFAULTS) {
    if (options[fallback.key] === undefined && !seen.has(fallback.keyword) && optionInWords(rshWords, fallback.keyword) === undefined)
      args.push(...fallback.args);
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
