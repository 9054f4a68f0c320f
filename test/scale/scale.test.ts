import assert from 'node:assert/strict';
import { openFileLimit, openRemoteShell, raiseOpenFileLimit, RemoteShellError, type RemoteShell } from '../../host/index.js';
import { DEFAULT_GEOMETRY, poolFor } from '../../host/core/pool.js';
import { loadBinding } from '../../host/native/binding.js';
import { openFds } from '../native/helpers.js';
import { sleep } from '../transport/helpers.js';

// A light stand-in remote shell: chatty on stderr (20 lines naming itself), then an echo.
const CHATTY_ECHO = ['sh', '-c', 'i=0; while [ $i -lt 20 ]; do echo "shell $$ says line $i" >&2; i=$((i+1)); done; exec cat', 'sh'];

interface Open {
  shell: RemoteShell;
  payload: Buffer;
  received: Buffer[];
  echoed: Promise<void>;
}

function open(i: number): Open {
  const shell = openRemoteShell({ host: `host-${i}`, rsh: CHATTY_ECHO, stderr: 'capture' });
  const payload = Buffer.from(`transport ${i} `.repeat(300));
  const received: Buffer[] = [];
  const echoed = new Promise<void>((resolve) => {
    let bytes = 0;
    shell.stream.on('data', (chunk: Buffer) => {
      received.push(chunk);
      bytes += chunk.length;
      if (bytes >= payload.length) resolve();
    });
  });
  shell.stream.write(payload);
  return { shell, payload, received, echoed };
}

describe('a thousand transports at once', function () {
  this.timeout(180_000);

  it('all complete with every byte accounted for, sharing a handful of core instances', async () => {
    const limit = raiseOpenFileLimit();
    assert.ok(limit.soft >= 4000, `a thousand transports need about 3,000 fds; the hard limit is ${limit.hard}`);
    const pool = poolFor(DEFAULT_GEOMETRY);
    const instancesBefore = pool.instanceCount;
    const shells = Array.from({ length: 1000 }, (_, i) => open(i));
    // Every one is open and has echoed its payload before any is closed.
    await Promise.all(shells.map((s) => s.echoed));
    assert.ok(pool.instanceCount - instancesBefore <= Math.ceil(1000 / DEFAULT_GEOMETRY.slotsPerInstance), `${pool.instanceCount} core instances`);
    for (const s of shells) s.shell.stream.end();
    const results = await Promise.all(shells.map((s) => s.shell.finished));
    shells.forEach((s, i) => {
      assert.deepEqual(Buffer.concat(s.received), s.payload, `transport ${i} tunnel`);
      assert.equal(results[i].bytesReceived, s.payload.length);
      const pid = s.shell.pid!;
      const expected = Array.from({ length: 20 }, (_, line) => `shell ${pid} says line ${line}\n`).join('');
      assert.equal(s.shell.stderr.snapshot().text, expected, `transport ${i} stderr`);
      assert.equal(s.shell.stderr.stats.bytesSeen, expected.length);
    });
  });

  it('fails one transport with a clear error when fds run out, leaking nothing, while the others go on', async function () {
    if (!loadBinding().setOpenFileLimit) this.skip(); // Windows has no RLIMIT_NOFILE
    await openRemoteShell({ host: 'warm-up', rsh: CHATTY_ECHO, stderr: 'capture' }).close();
    await sleep(20);
    const baseline = openFds().length;
    const saved = openFileLimit();
    const shells: Open[] = [];
    const failures: RemoteShellError[] = [];
    try {
      loadBinding().setOpenFileLimit!(baseline + 40);
      for (let i = 0; i < 30; i++) {
        const s = open(i);
        shells.push(s);
        s.shell.finished.catch((err: RemoteShellError) => failures.push(err));
      }
      await sleep(200);
    } finally {
      loadBinding().setOpenFileLimit!(saved.soft);
    }
    assert.ok(failures.length > 0, 'some transports ran out of fds');
    for (const err of failures) {
      assert.equal(err.code, 'ERR_SPAWN');
      assert.match(err.message, /^cannot start the remote shell: this process has too many open files \(EMFILE, [^)]+\): raise the limit \(raiseOpenFileLimit\(\), ulimit -n\) or open fewer remote shells at once$/);
    }
    const running = shells.filter((s) => s.shell.pid !== undefined);
    assert.ok(running.length > 5, `${running.length} transports started`);
    await Promise.all(running.map((s) => s.echoed));
    for (const s of running) s.shell.stream.end();
    await Promise.all(running.map((s) => s.shell.finished));
    for (const s of running) assert.deepEqual(Buffer.concat(s.received), s.payload);
    await sleep(20);
    assert.equal(openFds().length, baseline);
  });
});
