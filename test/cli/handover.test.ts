// The record in which the native launcher hands a failed run to the Node command
// (host/cli/handover.ts, launcher/handover.c): read back as written, and a broken one refused
// by name, never half-read.

import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HANDOVER_VARIABLE, HandoverError, parseHandover, takeHandover } from '../../host/cli/handover.js';

function bytes(value: string | Buffer): Buffer {
  const data = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return Buffer.concat([Buffer.from(`${data.length}\n`), data, Buffer.from('\n')]);
}

function record(
  fields: { status?: string; argv?: Array<string | Buffer>; head?: string | Buffer; tail?: string | Buffer; overwritten?: string[] } = {},
): Buffer {
  const argv = fields.argv ?? ['ssh', 'host', 'true'];
  const overwritten = fields.overwritten ?? [];
  return Buffer.concat([
    Buffer.from(
      `rsh-transport-handover 1\nstatus ${fields.status ?? '255 0'}\nstopped 0\nnot-forwarded 7\nomitted 3\nseen 40\nargv ${argv.length}\n`,
    ),
    ...argv.map(bytes),
    Buffer.from('head '),
    bytes(fields.head ?? ''),
    Buffer.from('tail '),
    bytes(fields.tail ?? 'Permission denied (publickey).\n'),
    Buffer.from(`overwritten ${overwritten.length}\n`),
    ...overwritten.map(bytes),
  ]);
}

describe('the hand-over record of the native launcher', () => {
  it('reads back what was written: argv with newlines, bytes of any value, the exit or the signal', () => {
    const got = parseHandover(
      record({
        argv: ['ssh', '-o', 'ProxyCommand=a\nb', 'host'],
        head: 'first\n',
        tail: Buffer.from([0x41, 0x0a, 0xff, 0x0a]),
        overwritten: ['Password: \r'],
      }),
    );
    assert.deepEqual(got.argv, ['ssh', '-o', 'ProxyCommand=a\nb', 'host']);
    assert.deepEqual(got.exit, { code: 255, signal: null });
    assert.equal(got.bytesNotForwarded, 7);
    assert.equal(got.stoppedByCaller, false);
    assert.equal(got.snapshot.omittedBytes, 3);
    assert.equal(got.snapshot.bytesSeen, 40);
    assert.deepEqual([...got.snapshot.tailBytes], [0x41, 0x0a, 0xff, 0x0a]);
    assert.equal(got.snapshot.tail, 'A\n\ufffd\n');
    assert.match(got.snapshot.text, /^first\n\[\.\.\. 3 bytes of stderr omitted \.\.\.\]\nA\n/);
    assert.deepEqual(got.overwritten, ['Password: \r']);
    assert.deepEqual(parseHandover(record({ status: '-1 15' })).exit, { code: null, signal: 'SIGTERM' });
  });

  it('refuses a broken record by name: truncated anywhere, a length that overruns, a wrong magic, a bad number, bytes after the end', () => {
    const whole = record({ overwritten: ['segment one'] });
    for (let cut = 0; cut < whole.length; cut++) {
      assert.throws(() => parseHandover(whole.subarray(0, cut)), HandoverError, `cut at ${cut}`);
    }
    const broken = [
      Buffer.from(whole.toString('latin1').replace('rsh-transport-handover 1', 'rsh-transport-handover 2'), 'latin1'),
      Buffer.from(whole.toString('latin1').replace('status 255 0', 'status x 0'), 'latin1'),
      Buffer.from(whole.toString('latin1').replace('status 255 0', 'status -1 999'), 'latin1'),
      Buffer.from(whole.toString('latin1').replace('argv 3\n3\n', 'argv 3\n300\n'), 'latin1'),
      Buffer.from(whole.toString('latin1').replace('stopped 0', 'halted 0'), 'latin1'),
      Buffer.concat([whole, Buffer.from('more\n')]),
    ];
    for (const bad of broken) assert.throws(() => parseHandover(bad), HandoverError);
  });

  it('takes the record from the fd the environment names, closes it, and removes the variable', () => {
    const file = path.join(tmpdir(), `rsh-handover-${process.pid}`);
    writeFileSync(file, record());
    const fd = openSync(file, 'r');
    rmSync(file);
    const env: NodeJS.ProcessEnv = { [HANDOVER_VARIABLE]: String(fd) };
    assert.equal(takeHandover(env)?.argv.join(' '), 'ssh host true');
    assert.equal(env[HANDOVER_VARIABLE], undefined);
    assert.throws(() => closeSync(fd), /EBADF/, 'the fd was closed');
    assert.equal(takeHandover({}), undefined);
    assert.throws(() => takeHandover({ [HANDOVER_VARIABLE]: 'three' }), /not an fd/);
  });
});
