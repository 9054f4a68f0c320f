#!/usr/bin/env node
// Remote commands for the tests, in Node rather than in shell one-liners, so that the tests
// need no POSIX shell: run by the stand-in remote shell (examples/stand-in-ssh.mjs) with its
// `node:` marker, or standing as the remote shell itself. The arguments are steps, run in
// order; each step is a word followed by its own arguments:
//
//   out TEXT / err TEXT               TEXT to stdout / stderr, as it is (no newline added)
//   out-bytes COUNT BYTE              COUNT bytes of value BYTE (0-255) to stdout; COUNT may be
//   err-bytes COUNT BYTE                `forever` (until the reader is gone)
//   out-lines FIRST LAST              the numbers FIRST to LAST, one a line, as seq(1) does
//   err-lines FIRST LAST
//   out-file PATH START LENGTH        LENGTH bytes of the file PATH from offset START to stdout
//   out-env NAME                      the variable NAME's value and a newline ('' when unset)
//   cat                               stdin to stdout, until stdin ends
//   drain                             stdin read to its end, and discarded
//   read COUNT                        COUNT bytes of stdin read and discarded (fewer at its end)
//   close stdin|stdout|stderr         closes that descriptor (its reader sees the end, unless
//                                       a background copy still holds it)
//   sleep MS                          waits MS milliseconds
//   ignore SIGNAL                     SIGNAL (SIGTERM, SIGHUP...) does nothing from then on
//   background [ STEPS... ]           starts a copy of this program running STEPS, with this
//                                       process's stdio, and goes on without waiting for it
//   err-pids                          the pids of the background copies, one a line, to stderr
//   first-runs FILE N [ STEPS... ]    counts this run in FILE; runs STEPS in the first N runs
//   exit CODE                         exits with CODE (0 when the steps end without one)
//   --                                ends the steps: what follows is ignored (the host and
//                                       command a transport adds after its remote shell's words)
//
// Everything is synchronous, as the shell tools are: a write blocks until the reader takes it
// (so a blocked writer never reads its stdin, as `cat` does not), a signal without a handler ends
// the program even while it waits, and a write to a reader that is gone ends it with status 141,
// as a shell reports a command killed by SIGPIPE.
//
//   node test/helpers/remote-programs.mjs out 'hello\n' err 'why\n' exit 3

import { spawn } from 'node:child_process';
import { closeSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const CHUNK = 256 * 1024;
const ARITY = {
  out: 1,
  err: 1,
  'out-bytes': 2,
  'err-bytes': 2,
  'out-lines': 2,
  'err-lines': 2,
  'out-file': 3,
  'out-env': 1,
  cat: 0,
  drain: 0,
  read: 1,
  close: 1,
  sleep: 1,
  ignore: 1,
  background: 0,
  'err-pids': 0,
  'first-runs': 2,
  exit: 1,
};
// Steps followed by a group of steps in brackets.
const GROUPED = new Set(['background', 'first-runs']);
const FDS = { stdin: 0, stdout: 1, stderr: 2 };

const closed = new Set();
const backgroundPids = [];
const waiter = new Int32Array(new SharedArrayBuffer(4));
const pause = (ms) => Atomics.wait(waiter, 0, 0, ms);

function usage(message) {
  process.stderr.write(`remote-programs: ${message}\n`);
  process.exit(2);
}

/** The steps of `words` from `at`: [{ name, args, group }], up to the end, `--` or `]`. */
function parse(words, at = 0, nested = false) {
  const steps = [];
  let i = at;
  for (; i < words.length; i++) {
    const name = words[i];
    if (name === '--' && !nested) return { steps, end: words.length };
    if (name === ']' && nested) return { steps, end: i };
    if (!(name in ARITY)) usage(`unknown step ${JSON.stringify(name)}`);
    const args = words.slice(i + 1, i + 1 + ARITY[name]);
    if (args.length < ARITY[name]) usage(`${name} needs ${ARITY[name]} argument(s)`);
    i += ARITY[name];
    let group;
    if (GROUPED.has(name)) {
      if (words[i + 1] !== '[') usage(`${name} needs [ STEPS... ]`);
      const inner = parse(words, i + 2, true);
      if (words[inner.end] !== ']') usage(`${name}: no ] closes the group`);
      group = words.slice(i + 2, inner.end);
      i = inner.end;
    }
    steps.push({ name, args, group });
  }
  return { steps, end: i };
}

function number(text, what) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) usage(`${what} must be a whole number, got ${JSON.stringify(text)}`);
  return value;
}

function writeAll(fd, buffer) {
  for (let offset = 0; offset < buffer.length;) {
    try {
      offset += writeSync(fd, buffer, offset, buffer.length - offset);
    } catch (err) {
      if (err.code === 'EAGAIN')
        pause(1); // a descriptor someone made non-blocking
      else if (err.code === 'EPIPE' || err.code === 'EOF') process.exit(141);
      else throw err;
    }
  }
}

/** Reads up to `buffer.length` bytes of stdin; 0 at its end. */
function readSome(buffer) {
  for (;;) {
    try {
      return readSync(0, buffer, 0, buffer.length, null);
    } catch (err) {
      if (err.code === 'EAGAIN') pause(1);
      else if (err.code === 'EOF') return 0;
      else throw err;
    }
  }
}

function writeBytes(fd, count, byte) {
  const block = Buffer.alloc(CHUNK, number(byte, 'BYTE'));
  if (count === 'forever') for (;;) writeAll(fd, block);
  for (let left = number(count, 'COUNT'); left > 0; left -= CHUNK) writeAll(fd, left >= CHUNK ? block : block.subarray(0, left));
}

function writeLines(fd, first, last) {
  let text = '';
  for (let n = number(first, 'FIRST'); n <= number(last, 'LAST'); n++) {
    text += `${n}\n`;
    if (text.length >= CHUNK) {
      writeAll(fd, Buffer.from(text));
      text = '';
    }
  }
  writeAll(fd, Buffer.from(text));
}

function run(steps) {
  for (const { name, args, group } of steps) {
    switch (name) {
      case 'out':
      case 'err':
        writeAll(name === 'out' ? 1 : 2, Buffer.from(args[0]));
        break;
      case 'out-bytes':
      case 'err-bytes':
        writeBytes(name === 'out-bytes' ? 1 : 2, ...args);
        break;
      case 'out-lines':
      case 'err-lines':
        writeLines(name === 'out-lines' ? 1 : 2, ...args);
        break;
      case 'out-file': {
        const start = number(args[1], 'START');
        writeAll(1, readFileSync(args[0]).subarray(start, start + number(args[2], 'LENGTH')));
        break;
      }
      case 'out-env':
        writeAll(1, Buffer.from(`${process.env[args[0]] ?? ''}\n`));
        break;
      case 'cat':
      case 'drain': {
        const buffer = Buffer.alloc(CHUNK);
        for (let n; (n = readSome(buffer)) > 0;) if (name === 'cat') writeAll(1, buffer.subarray(0, n));
        break;
      }
      case 'read': {
        const buffer = Buffer.alloc(CHUNK);
        for (let left = number(args[0], 'COUNT'), n; left > 0 && (n = readSome(buffer.subarray(0, Math.min(left, CHUNK)))) > 0; left -= n);
        break;
      }
      case 'close':
        if (!(args[0] in FDS)) usage(`close stdin, stdout or stderr, not ${JSON.stringify(args[0])}`);
        closeFd(args[0]);
        break;
      case 'sleep':
        pause(number(args[0], 'MS'));
        break;
      case 'ignore':
        process.on(args[0], () => {});
        break;
      case 'background': {
        const stdio = ['stdin', 'stdout', 'stderr'].map((fd) => (closed.has(fd) ? 'ignore' : 'inherit'));
        const child = spawn(process.execPath, [SELF, ...group], { stdio });
        child.unref();
        backgroundPids.push(child.pid);
        break;
      }
      case 'err-pids':
        writeAll(2, Buffer.from(backgroundPids.map((pid) => `${pid}\n`).join('')));
        break;
      case 'first-runs': {
        let count = 0;
        try {
          count = number(readFileSync(args[0], 'utf8').trim(), 'the count in FILE');
        } catch (err) {
          if (err.code !== 'ENOENT') throw err;
        }
        writeFileSync(args[0], `${count + 1}\n`);
        if (count < number(args[1], 'N')) run(parse(group).steps);
        break;
      }
      case 'exit':
        process.exit(number(args[0], 'CODE'));
    }
  }
}

function closeFd(name) {
  if (closed.has(name)) return;
  closeSync(FDS[name]);
  closed.add(name);
}

run(parse(process.argv.slice(2)).steps);
process.exit(0);
