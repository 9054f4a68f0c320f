// What ssh's configuration made of a target, asked of ssh itself: `ssh -G` with the same words,
// options and target prints the effective settings without connecting. A ~/.ssh/config entry
// that sends a host to another name, port or user, or turns a ControlMaster on, explains many a
// failure that "works in my terminal"; so an error of a connection that was never established
// carries these settings, and its hint says what the configuration changed.

import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { destinationWord, flagInWords, isOpenSsh, jumpsOf, optionInWords } from '../rsh/ssh-options.js';

/** The settings an error carries, as `ssh -G` prints them (lower-case keywords; identityfile as
 * a list, the others as printed; absent when ssh prints none). */
export interface SshConfig {
  user?: string;
  hostname?: string;
  port?: string;
  identityfile?: readonly string[];
  proxyjump?: string;
  controlmaster?: string;
  controlpath?: string;
  userknownhostsfile?: string;
  stricthostkeychecking?: string;
  batchmode?: string;
}

const KEYS = new Set<keyof SshConfig>([
  'user',
  'hostname',
  'port',
  'identityfile',
  'proxyjump',
  'controlmaster',
  'controlpath',
  'userknownhostsfile',
  'stricthostkeychecking',
  'batchmode',
]);

/** ssh -G takes well under 50 ms; past this, the error goes without it. */
export const EFFECTIVE_CONFIG_TIMEOUT_MS = 2000;
const MAX_OUTPUT = 256 * 1024;

export interface EffectiveConfig {
  /** The destination as ssh was given it. */
  host: string;
  config: SshConfig;
}

/** Parses `ssh -G` output. */
export function parseSshG(text: string): EffectiveConfig | undefined {
  let host: string | undefined;
  const config: SshConfig = {};
  const identityFiles: string[] = [];
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space);
    const value = line.slice(space + 1).trim();
    if (key === 'host') host = value;
    else if (key === 'identityfile') identityFiles.push(value);
    else if (KEYS.has(key as keyof SshConfig)) (config as Record<string, string>)[key] = value;
  }
  if (identityFiles.length > 0) config.identityfile = identityFiles;
  return host === undefined ? undefined : { host, config };
}

/** Asks ssh for its effective configuration of the same argv (-G after the program; a remote
 * command is ignored by -G). Resolves undefined on any failure, after `timeoutMs`, and once
 * `signal` aborts (the child is then killed outright): a caller who aborted while the error was
 * being completed gets it at once. Note that -G runs the configuration's `Match exec` commands. */
export function effectiveConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string | URL | undefined,
  { timeoutMs = EFFECTIVE_CONFIG_TIMEOUT_MS, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<EffectiveConfig | undefined> {
  if (!isOpenSsh(argv) || signal?.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let out = '';
    let child: ReturnType<typeof spawn>;
    try {
      // In a process group of its own: what a `Match exec` or a wrapper started goes with it.
      child = spawn(argv[0], ['-G', ...argv.slice(1)], {
        env,
        cwd,
        stdio: ['ignore', 'pipe', 'ignore'],
        windowsHide: true,
        detached: GROUPS,
      });
    } catch {
      resolve(undefined);
      return;
    }
    const giveUp = (): void => {
      try {
        if (GROUPS && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already
      }
      // A process outside the group may still hold the pipe: it must not keep this one alive.
      child.stdout?.destroy();
      done(undefined);
    };
    const timer = setTimeout(giveUp, timeoutMs);
    signal?.addEventListener('abort', giveUp, { once: true });
    const group = GROUPS ? child.pid : undefined;
    if (group !== undefined) runningGroups.add(group);
    const done = (found: EffectiveConfig | undefined): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', giveUp);
      if (group !== undefined) runningGroups.delete(group);
      resolve(found);
    };
    child.on('error', () => done(undefined));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (out.length < MAX_OUTPUT) out += chunk;
    });
    child.on('close', (code) => done(code === 0 ? parseSshG(out) : undefined));
  });
}

const GROUPS = process.platform !== 'win32';

// The groups of the lookups under way. Out of the terminal's foreground group, they would not
// get its Ctrl-C or hang-up: a process that exits meanwhile (the command on a signal) ends them.
const runningGroups = new Set<number>();
if (GROUPS) {
  process.on('exit', () => {
    for (const group of runningGroups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });
}

// What ssh's options say themselves (not the remote command's words after the destination):
// `-p PORT`, `-pPORT` or `-o Port=`; `-l USER`, `-lUSER` or `-o User=`.
function givenInOptions(argv: readonly string[], flag: 'p' | 'l', keyword: string): boolean {
  return flagInWords(argv, flag) || optionInWords(argv, keyword) !== undefined;
}

/** What the configuration changed of what the caller gave, as a sentence, or null: another
 * host name, or a port or user where argv gave none. */
export function configMapping(found: EffectiveConfig, argv: readonly string[]): string | null {
  const { host, config } = found;
  const changes: string[] = [];
  if (config.hostname !== undefined && config.hostname.toLowerCase() !== host.toLowerCase()) changes.push(`to ${config.hostname}`);
  const destination = destinationWord(argv) ?? '';
  const portGiven = givenInOptions(argv, 'p', 'port') || /^ssh:\/\/[^/]*:\d+\/?$/i.test(destination);
  if (config.port !== undefined && config.port !== '22' && !portGiven) changes.push(`port ${config.port}`);
  const userGiven = givenInOptions(argv, 'l', 'user') || destination.includes('@');
  if (config.user !== undefined && !userGiven && config.user !== localUser()) changes.push(`user ${config.user}`);
  // Jump hosts the argv gave itself are no change of the configuration's.
  if (config.proxyjump !== undefined && config.proxyjump !== 'none' && jumpsOf(argv).length === 0)
    changes.push(`through ${config.proxyjump}`);
  return changes.length === 0 ? null : `ssh's configuration maps ${host} ${changes.join(' ')}.`;
}

function localUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
