// The addon runs JavaScript where a caller may not expect it: the getters of the options it
// reads, and the setters up the prototype chain of every object it fills in. Whatever those
// throw reaches the caller as it was thrown, with no fd left open and the process alive (a
// throw while an exception is pending would abort it).

import assert from 'node:assert/strict';
import { loadBinding, DEFAULT_BINDING_PATH } from '../../host/native/binding.js';
import { SOCKETPAIR_BINDING_PATH } from '../helpers/backends.js';
import { fdTargets } from '../helpers/proc.js';

/** Runs `body` with a setter for `key` on Object.prototype that throws `error`. */
function withThrowingSetter(key: string, error: Error, body: () => void): void {
  Object.defineProperty(Object.prototype, key, {
    configurable: true,
    set() {
      throw error;
    },
  });
  try {
    body();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

describe('exceptions thrown by JavaScript the addon runs', () => {
  for (const [name, where] of [
    ['pipe', DEFAULT_BINDING_PATH],
    ['socketpair', SOCKETPAIR_BINDING_PATH],
  ]) {
    const binding = loadBinding(where);

    it(`${name}: createEndpoint() throws what a setter of its result throws, and closes the fds it made`, () => {
      const before = fdTargets().size;
      const thrown = new Error('a setter refused');
      withThrowingSetter('kernelBufferSize', thrown, () => {
        assert.throws(
          () => binding.createEndpoint!(),
          (err) => err === thrown,
        );
      });
      assert.equal(fdTargets().size, before, 'no fd left open');
      const endpoint = binding.createEndpoint!();
      assert.equal(typeof endpoint.kernelBufferSize, 'number', 'the setter is gone, the result whole again');
      binding.closeFd(endpoint.parentFd);
      binding.closeFd(endpoint.childFd);
    });

    it(`${name}: createEndpoint() throws what the getter of injectFailure throws, before making anything`, () => {
      const before = fdTargets().size;
      const thrown = new Error('a getter refused');
      const options = {
        get injectFailure(): never {
          throw thrown;
        },
      };
      assert.throws(
        () => binding.createEndpoint!(options),
        (err) => err === thrown,
      );
      assert.equal(fdTargets().size, before);
    });
  }

  const binding = loadBinding(DEFAULT_BINDING_PATH);

  it('createStdioPair() throws what a setter of its result throws, and closes both ends', () => {
    const before = fdTargets().size;
    const thrown = new Error('no childFd here');
    withThrowingSetter('childFd', thrown, () => {
      assert.throws(
        () => binding.createStdioPair!(),
        (err) => err === thrown,
      );
    });
    assert.equal(fdTargets().size, before);
  });

  it("a system error whose `code` cannot be set gives the setter's exception, not an abort", () => {
    const thrown = new Error('code is taken');
    withThrowingSetter('code', thrown, () => {
      assert.throws(
        () => binding.closeFd(1_000_000),
        (err) => err === thrown,
      );
    });
    assert.throws(() => binding.closeFd(1_000_000), { code: 'EBADF', syscall: 'close' });
  });

  it('new Pump() throws what a getter of its options throws, and reads no option after it', () => {
    const thrown = new Error('no fd for you');
    const read: string[] = [];
    const options = new Proxy(
      {},
      {
        get(_target, key) {
          read.push(String(key));
          if (key === 'memory') throw thrown;
          return undefined;
        },
      },
    );
    assert.throws(
      () => new binding.Pump!(options as never),
      (err) => err === thrown,
    );
    assert.deepEqual(read, ['fd', 'memory']);
  });
});
