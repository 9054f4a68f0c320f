#!/usr/bin/env node
// A local stand-in for ssh, for demos and tests that need no ssh server: it takes ssh's
// arguments (`[options] host [command...]`), and runs the command the way sshd does, joined
// with spaces and given to `sh -c`, with this process's stdin, stdout and stderr. Like ssh it
// exits with the command's status, or 255 for its own errors; with -v it is chatty on stderr.
//
//   rsh-transport --rsh="node examples/stand-in-ssh.mjs -v" demo.invalid 'echo hi'

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
say(1, `Connecting to ${host} [127.0.0.1] port 22.`);
say(1, 'Connection established.');
say(2, 'channel 0: request exec confirm 1');
say(3, 'receive packet: type 99');
say(1, `Authenticated to ${host} ([127.0.0.1]:22) using "publickey" as ${user}.`);
if (command === '') fail('this stand-in runs commands only; no login shell');

// Signals are taken before the command starts: one that came while spawn() forks and execs
// would otherwise end this process by default and leave the command running without it.
let child;
const toSession = (signal) => {
  try {
    // The command's process group, as a session on the server is: a signal that ends the
    // session reaches every process of it, not only the shell (dash forks a command's last
    // process rather than becoming it, and that process would outlive a signal to the shell).
    process.kill(-child.pid, signal);
  } catch {
    // the session has ended
  }
};
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => toSession(signal));
// ssh dies of SIGUSR1 (rsync sends it); Node would start its inspector instead.
for (const signal of ['SIGUSR1', 'SIGUSR2']) process.on(signal, () => toSession('SIGTERM'));

child = spawn('sh', ['-c', command], { stdio: 'inherit', detached: true });
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

function fail(message) {
  process.stderr.write(`stand-in-ssh: ${message}\n`);
  process.exit(255);
}
