// The multiplex option's platform rule: refused on Windows, where Win32-OpenSSH's ControlMaster
// does not work (checked here on Linux by naming the platform).

import assert from 'node:assert/strict';
import { checkMultiplex } from '../../host/multiplex/options.js';

describe('multiplex on Windows', () => {
  it('is refused with why, before anything is made', () => {
    assert.throws(
      () => checkMultiplex(true, 'win32'),
      /multiplex is not available on Windows: Win32-OpenSSH's ControlMaster does not work there/,
    );
    assert.throws(() => checkMultiplex({ persistMs: 1000 }, 'win32'), RangeError);
    assert.equal(checkMultiplex(false, 'win32'), undefined);
    assert.equal(checkMultiplex(undefined, 'win32'), undefined);
    assert.equal(checkMultiplex(true, 'linux')?.persistMs, 60_000);
  });
});
