// The pump takes one options object, checks it, and finds out by itself whether its fd is a
// socket (which decides how finish() ends the drain).

import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadBinding, DEFAULT_BINDING_PATH } from '../../host/native/binding.js';
import { SOCKETPAIR_BINDING_PATH } from '../helpers/backends.js';
import { fdTargets } from '../helpers/proc.js';

describe('new Pump({ fd, memory, offset, size, onBatch, onEnd })', () => {
  const binding = loadBinding(DEFAULT_BINDING_PATH);
  const Pump = binding.Pump!;
  const memory = new ArrayBuffer(65536);
  const noop = (): void => {};

  it('refuses what is not an options object, or a missing or mistyped option, naming them all', () => {
    for (const bad of [
      undefined,
      3,
      { fd: 0 },
      { fd: '3', memory, offset: 0, size: 16, onBatch: noop, onEnd: noop },
      { fd: 3, memory: new Uint8Array(4), offset: 0, size: 16, onBatch: noop, onEnd: noop },
    ]) {
      assert.throws(
        () => new Pump(bad as never),
        (err: Error) => err instanceof TypeError && /Pump\(\{ fd, memory, offset, size, onBatch, onEnd \}\)/.test(err.message),
      );
    }
    const endpoint = binding.createEndpoint!();
    try {
      assert.throws(() => new Pump({ fd: endpoint.parentFd, memory, offset: 65000, size: 4096, onBatch: noop, onEnd: noop }), RangeError);
    } finally {
      binding.closeFd(endpoint.parentFd);
      binding.closeFd(endpoint.childFd);
    }
  });

  it("finish() needs its drain time: no default of its own beside the transport's", () => {
    const endpoint = binding.createEndpoint!();
    let ended: string | undefined;
    const pump = new Pump({ fd: endpoint.parentFd, memory, offset: 0, size: 65536, onBatch: noop, onEnd: (reason) => (ended = reason) });
    try {
      pump.start();
      for (const bad of [undefined, '100'])
        assert.throws(() => (pump.finish as (ms?: unknown) => void)(bad), { name: 'TypeError', message: 'finish(drainTimeoutMs)' });
      assert.equal(ended, undefined, 'still running');
    } finally {
      pump.close();
      binding.closeFd(endpoint.childFd);
    }
  });

  it('the plain calls name their usage when the argument is not a number', () => {
    for (const [call, usage] of [
      ['closeFd', 'closeFd(fd)'],
      ['pendingBytes', 'pendingBytes(fd)'],
      ['redirectToNull', 'redirectToNull(fd)'],
      ['setParentDeathSignal', 'setParentDeathSignal(signal)'],
      ['setOpenFileLimit', 'setOpenFileLimit(soft)'],
    ] as const) {
      const fn = binding[call] as unknown as (value?: unknown) => unknown;
      assert.throws(() => fn(), { name: 'TypeError', message: usage }, call);
      assert.throws(() => fn('3'), { name: 'TypeError', message: usage }, call);
    }
  });

  for (const [name, path] of [
    ['pipe', DEFAULT_BINDING_PATH],
    ['socketpair', SOCKETPAIR_BINDING_PATH],
  ] as const) {
    it(`drains a ${name} endpoint to its end, and ends as that kind of fd does`, async () => {
      const native = loadBinding(path);
      const endpoint = native.createEndpoint!();
      assert.equal(endpoint.backend, name);
      let bytes = 0;
      const ended = new Promise<string>((resolve) => {
        const pump = new native.Pump!({
          fd: endpoint.parentFd,
          memory,
          offset: 0,
          size: 65536,
          onBatch: (n) => (bytes += n),
          onEnd: (reason) => resolve(reason),
        });
        pump.start();
        // The write end stays open: only a socket's shutdown ends the drain before the deadline.
        pump.finish(name === 'socketpair' ? 60_000 : 50);
      });
      const reason = await ended;
      assert.equal(reason, name === 'socketpair' ? 'eof' : 'deadline');
      assert.equal(bytes, 0);
      native.closeFd(endpoint.childFd);
    });
  }

  it('a pump made and dropped without start() or close() closes its fd when collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const endpoint = binding.createEndpoint!();
    const fd = String(endpoint.parentFd);
    (() => {
      new Pump({ fd: endpoint.parentFd, memory, offset: 0, size: 4096, onBatch: noop, onEnd: noop });
    })();
    for (let i = 0; i < 50 && fdTargets().has(fd); i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(fdTargets().has(fd), false, 'the dropped pump still holds its fd');
    binding.closeFd(endpoint.childFd);
  });
});
