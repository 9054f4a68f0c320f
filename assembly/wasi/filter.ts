// The core as a WASI command (build/core-wasi.wasm, `npm run build:wasi`): a stderr filter for
// any WASI runtime. Stderr bytes on stdin; on stdout one record per framed line, then, at end
// of input, the snapshot and the totals (records.ts), with the default geometry. It takes no
// arguments.
//
// Nothing here allocates: see output.ts.

import { args_sizes_get, fd_read, iovec } from 'bindings/wasi_snapshot_preview1';
import { flush, staging_ptr, staging_size } from '../index';
import { EXIT_INPUT, STDIN, check, fail, flushOut, scratch } from './output';
import { captureHandle, commitStaged, drain, open, putSnapshot, putStats } from './records';

function refuseArguments(): void {
  if (args_sizes_get(scratch, scratch + 4) != 0) return;
  const count = load<u32>(scratch);
  if (count > 1) fail(EXIT_INPUT, 'takes no arguments (stderr bytes on stdin), arguments:', <i32>count - 1);
}

// stdin is read straight into the staging area.
function filter(): void {
  open(0, -1, 0, 0, 0);
  const handle = captureHandle();
  const staging = <usize>staging_ptr(handle);
  const size = <usize>staging_size();
  while (true) {
    changetype<iovec>(scratch).buf = staging;
    changetype<iovec>(scratch).buf_len = size;
    const errno = fd_read(STDIN, scratch, 1, scratch + 8);
    if (errno != 0) fail(EXIT_INPUT, 'cannot read stdin, errno', <i32>errno);
    const n = <usize>load<u32>(scratch + 8);
    if (n == 0) break;
    commitStaged(n);
  }
  drain(check('flush', flush(handle, 1)));
  putSnapshot();
  putStats();
}

refuseArguments();
filter();
flushOut();
