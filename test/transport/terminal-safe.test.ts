import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { openRemoteShell } from '../../host/index.js';
import { CLI, cliEnv } from '../helpers/cli.js';
import { quoteCommand } from '../../host/rsh/quote.js';
import { posixOnly } from '../helpers/posix.js';
import { rejection, scaled } from '../helpers/promises.js';
import { remoteProgram, STAND_IN, standIn } from '../helpers/stand-in.js';
import { CONTROL_CHARACTERS } from '../helpers/terminal.js';

// The remote side hides its real reason: a CR, then a new title, a cleared screen, and a lie;
// then a coloured line and a bidi override.
const HOSTILE_TEXT = 'alice@h: Permission denied (publickey).\r\x1b]0;pwned\x07\x1b[2Jall good\n\x1b[32mgreen\x1b[0m \u202etxt\n';
const HOSTILE_BYTES = Buffer.from(HOSTILE_TEXT);
const HOSTILE = remoteProgram('err', HOSTILE_TEXT, 'exit', 255);

class Sink extends Writable {
  chunks: Buffer[] = [];
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

describe('the remote side cannot drive the terminal', function () {
  this.timeout(scaled(30_000));

  for (const stderr of ['capture', 'forward-to-callback'] as const) {
    it(`the error (${stderr}) is terminal-safe, and still says why: the line a CR overwrote counts`, async () => {
      const lines: string[] = [];
      const shell = openRemoteShell({
        host: 'h',
        rsh: standIn(),
        command: HOSTILE,
        stderr: stderr === 'capture' ? 'capture' : (line) => lines.push(line),
      });
      const err = await rejection(shell.finished);
      assert.equal(err.reason, 'auth-failed');
      assert.equal(err.shortMessage, 'stand-in-ssh.mjs could not authenticate to alice@h: Permission denied (publickey)');
      assert.deepEqual(err.tellingLines, ['alice@h: Permission denied (publickey).']);
      for (const text of [err.message, err.stderrTail, ...err.tellingLines, shell.stderr.snapshot().text]) {
        assert.doesNotMatch(text, CONTROL_CHARACTERS, JSON.stringify(text));
      }
      assert.match(err.stderrTail, /\^\[\]0;pwned\^G\^\[\[2Jall good\n\^\[\[32mgreen\^\[\[0m <U\+202E>txt\n/);
      // The raw bytes are there for whoever wants them.
      assert.ok(Buffer.from(shell.stderr.snapshot().tailBytes).includes(Buffer.from('\x1b]0;pwned\x07')));
      if (stderr !== 'capture') {
        // A callback's text is safe; the message carries the telling line, not the lie.
        for (const line of lines) assert.doesNotMatch(line, CONTROL_CHARACTERS);
        assert.doesNotMatch(err.message, /all good/);
      }
    });
  }

  it('forwards to a terminal with control characters shown and colours kept, progress meters working', async () => {
    const tty = new Sink(true);
    const shell = openRemoteShell({
      host: 'h',
      rsh: standIn(),
      command: remoteProgram('err', HOSTILE_TEXT, 'err', ' 50%\r100%\n'),
      stderr: tty,
    });
    await shell.finished;
    assert.equal(
      tty.bytes.toString(),
      'alice@h: Permission denied (publickey).\r^[]0;pwned^G^[[2Jall good\n\x1b[32mgreen\x1b[0m <U+202E>txt\x1b[m\n 50%\r100%\n',
    );
    assert.equal(shell.stderr.stats.bytesForwarded, HOSTILE_BYTES.length + 10);
  });

  it('lets colours through to a terminal but not concealed or blinking text, and resets after a coloured line', async () => {
    const tty = new Sink(true);
    const shell = openRemoteShell({
      host: 'h',
      rsh: standIn(),
      command: remoteProgram('err', 'working \x1b[8m\n\x1b[5mblink\x1b[0m \x1b[1;38;5;196mred\n', 'exit', 255),
      stderr: tty,
    });
    const err = await rejection(shell.finished);
    assert.equal(tty.bytes.toString(), 'working ^[[8m\n^[[5mblink\x1b[0m \x1b[1;38;5;196mred\x1b[m\n');
    assert.doesNotMatch(err.message, CONTROL_CHARACTERS);
  });

  it('a write that fails once the child exited says why the child failed, as finished does', async () => {
    for (let i = 0; i < 10; i++) {
      const shell = openRemoteShell({
        host: 'h',
        rsh: standIn(),
        command: remoteProgram('err', 'alice@h: Permission denied (publickey).\n', 'exit', 255),
        stderr: 'capture',
      });
      await shell.exited;
      const failed = await rejection(shell.finished);
      const err = await new Promise<Error | null | undefined>((resolve) => shell.stream.write('x', resolve));
      assert.equal((err as typeof failed).code, 'ERR_STREAM_CLOSED');
      assert.equal((err as typeof failed).reason, failed.reason);
      assert.deepEqual((err as typeof failed).tellingLines, failed.tellingLines);
    }
  });

  it('forwards to a Writable that is not a terminal byte for byte, unless told', async () => {
    for (const sanitize of ['auto', true] as const) {
      const file = new Sink(false);
      const shell = openRemoteShell({ host: 'h', rsh: standIn(), command: HOSTILE, stderr: file, sanitize });
      await rejection(shell.finished);
      if (sanitize === 'auto') assert.deepEqual(file.bytes, HOSTILE_BYTES);
      else
        assert.doesNotMatch(
          file.bytes
            .toString()
            .replace(/\x1b\[[0-9;]*m/g, '')
            .replace(/[\r\n]/g, ''),
          CONTROL_CHARACTERS,
        );
    }
    const tty = new Sink(true);
    await rejection(openRemoteShell({ host: 'h', rsh: standIn(), command: HOSTILE, stderr: tty, sanitize: false }).finished);
    assert.deepEqual(tty.bytes, HOSTILE_BYTES, 'sanitize: false is byte-exact even to a terminal');
  });

  it('gives a callback safe text and the raw bytes; with sanitize: false the text as received', async () => {
    for (const sanitize of ['auto', false] as const) {
      const seen: { line: string; bytes: Buffer }[] = [];
      const shell = openRemoteShell({
        host: 'h',
        rsh: standIn(),
        command: HOSTILE,
        sanitize,
        stderr: (line, info) => seen.push({ line, bytes: Buffer.from(info.bytes) }),
      });
      await rejection(shell.finished);
      const raw = Buffer.concat(seen.map((s, i) => Buffer.concat([s.bytes, Buffer.from(i === 0 ? '\r' : '\n')])));
      assert.deepEqual(raw, HOSTILE_BYTES);
      if (sanitize === 'auto') assert.equal(seen[1].line, '^[]0;pwned^G^[[2Jall good');
      else assert.equal(seen[1].line, '\x1b]0;pwned\x07\x1b[2Jall good');
    }
  });

  it('the command on a real terminal (a pty) shows the remote control characters visibly, and its last line says why (POSIX)', async function () {
    posixOnly(this, 'the terminal is a pseudo-terminal made by script(1)');
    const command = [CLI, `--rsh=${process.execPath} ${STAND_IN}`, 'h', quoteCommand(HOSTILE)]
      .map((word) => `'${word.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk));
      child.once('error', reject);
      child.once('close', () => resolve(out));
    });
    assert.doesNotMatch(output, /\x1b\]0;pwned/);
    assert.match(output, /\^\[\]0;pwned\^G\^\[\[2Jall good/);
    assert.match(output, /\x1b\[32mgreen\x1b\[0m/, 'colours pass');
    assert.match(
      output,
      /rsh-transport: stand-in-ssh\.mjs could not authenticate to alice@h: Permission denied \(publickey\)\. Check [^\x1b\r\n]+\r?\n$/,
    );
  });
});
