#!/usr/bin/env node
// A local stand-in for ssh, for demos and tests that need no ssh server: it takes ssh's
// arguments (`[options] host [command...]`), and runs the command the way sshd does, joined
// with spaces and given to `sh -c`, with this process's stdin, stdout and stderr. Like ssh it
// exits with the command's status, or 255 for its own errors; with -v it is chatty on stderr.
//
// Where there is no `sh` (Windows), a command that starts with `node:` runs under this same
// Node instead: the rest of the command is its arguments, split into words as a POSIX shell
// splits them (single and double quotes, backslashes) but with nothing expanded, so that the
// words of a quoted command (rsh-transport's `command` option) arrive as they were. A script's
// path or `-e` and a script follow the marker: `node: path/to/server.mjs --flag`,
// `node:path/to/server.mjs`, `node: -e 'process.stdout.write("hi")'`.
//
// With STAND_IN_SSH_FAIL set in its environment, it fails at once as ssh does when it cannot
// reach the host, with that variable's text as the reason (`Connection refused`), and status 255.
//
//   rsh-transport --rsh="node examples/stand-in-ssh.mjs -v" demo.invalid 'echo hi'
//   rsh-transport --rsh="node examples/stand-in-ssh.mjs" demo.invalid node: examples/version-server.mjs

import { spawn } from 'node:child_process';

// ssh's options that take a value (see ssh(1)); every other letter is a flag.
const WITH_VALUE = new Set('BbcDEeFIiJLlmOoPpQRSWw');

const args = process.argv.slice(2);
let verbose = 0;
let user = process.env.USER ?? 'user';
let i = 0;
for (; i < args.length && args[i].startsWith('-') && args[i] !== '--'; i++) {
  const flags = args[i].slice(1);
  for (let j = 0; j < flags.length; j++) {
    const letter = flags[j];
    if (WITH_VALUE.has(letter)) {
      const value = j + 1 < flags.length ? flags.slice(j + 1) : args[++i];
      if (value === undefined) fail(`option requires an argument -- ${letter}`);
      if (letter === 'l') user = value;
      break;
    }
    if (letter === 'v') verbose++;
    if (letter === 'G') process.exit(0); // "print the configuration": enough for git's probe
  }
}
if (args[i] === '--') i++;
const host = args[i++];
if (host === undefined) fail('usage: stand-in-ssh [options] host [command]');
const command = args.slice(i).join(' ');

const say = (level, text) => {
  if (verbose >= level) process.stderr.write(`debug${level}: ${text}\r\n`);
};
say(1, 'Reading configuration data /dev/null');
if (process.env.STAND_IN_SSH_FAIL) fail(`connect to host ${host} port 22: ${process.env.STAND_IN_SSH_FAIL}`, 'ssh');
say(1, `Connecting to ${host} [127.0.0.1] port 22.`);
say(1, 'Connection established.');
say(2, 'channel 0: request exec confirm 1');
say(3, 'receive packet: type 99');
say(1, `Authenticated to ${host} ([127.0.0.1]:22) using "publickey" as ${user}.`);
if (command === '') fail('this stand-in runs commands only; no login shell');
const [program, programArgs] = command.startsWith('node:') ? [process.execPath, nodeArgs(command.slice(5))] : ['sh', ['-c', command]];

// Signals are taken before the command starts: one that came while spawn() forks and execs
// would otherwise end this process by default and leave the command running without it.
let child;
// Windows has no process groups to signal: the signal goes to the command alone.
const SESSION = process.platform !== 'win32';
const toSession = (signal) => {
  try {
    // The command's process group, as a session on the server is: a signal that ends the
    // session reaches every process of it, not only the shell (dash forks a command's last
    // process rather than becoming it, and that process would outlive a signal to the shell).
    if (SESSION) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // the session has ended
  }
};
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => toSession(signal));
// ssh dies of SIGUSR1 (rsync sends it); Node would start its inspector instead.
for (const signal of ['SIGUSR1', 'SIGUSR2']) process.on(signal, () => toSession('SIGTERM'));

// Under Wine (the Windows runs of the tests), CreateProcess now and then fails under load with an
// error libuv cannot name, which spawn() throws at once as UNKNOWN: that is tried again, twice.
for (let tries = 1; ; tries++) {
  try {
    child = spawn(program, programArgs, { stdio: 'inherit', detached: SESSION });
    break;
  } catch (err) {
    if (err.code !== 'UNKNOWN' || tries === 3) fail(err.message);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * tries);
  }
}
child.on('error', (err) => fail(err.message));
child.on('exit', (code, signal) => {
  say(1, `client_input_channel_req: channel 0 rtype exit-status reply 0`);
  if (signal) {
    // Die of the same signal, as ssh reports the remote command's death.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 255);
});

function fail(message, name = 'stand-in-ssh') {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(255);
}

/** The words of `text` as a POSIX shell splits them, quotes and backslashes removed; anything
 * the shell would expand or treat as an operator is refused rather than passed on. */
function nodeArgs(text) {
  const words = [];
  let word = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) fail('node: an unterminated single quote');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && '$`"\\\n'.includes(text[i + 1] ?? '')) i++;
        else if ('$`'.includes(text[i])) fail(`node: ${text[i]} is not expanded here: quote it with '...'`);
        if (text[i] !== '\n' || text[i - 1] !== '\\') word += text[i]; // backslash-newline joins lines
      }
      if (i >= text.length) fail('node: an unterminated double quote');
    } else if (c === '\\') {
      if (i + 1 < text.length && text[i + 1] !== '\n') word = (word ?? '') + text[i + 1];
      i++;
    } else if ('$`;&|<>()\n'.includes(c)) {
      fail(`node: ${JSON.stringify(c)} is shell syntax, which the node: marker does not run: quote it`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  if (words.length === 0) fail('node: needs a script: a path, or -e and the code');
  return words;
}
