import assert from 'node:assert/strict';
import { openFileLimit, openRemoteShell, raiseOpenFileLimit, RemoteShellError, type RemoteShell } from '../../host/index.js';
import { DEFAULT_GEOMETRY, poolFor } from '../../host/core/pool.js';
import { inspect } from '../../host/internal.js';
import { loadBinding } from '../../host/native/binding.js';
import { fdTargets, openFds } from '../helpers/proc.js';
import { scaled, sleep } from '../helpers/promises.js';

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
  this.timeout(scaled(180_000));

  it('all complete with every byte accounted for, sharing a handful of core instances', async () => {
    const limit = raiseOpenFileLimit();
    assert.ok(limit.soft >= 4000, `a thousand transports need about 3,000 fds; the hard limit is ${limit.hard}`);
    const pool = poolFor(DEFAULT_GEOMETRY);
    const instancesBefore = pool[inspect]().instances;
    const shells = Array.from({ length: 1000 }, (_, i) => open(i));
    // Every one is open and has echoed its payload before any is closed.
    await Promise.all(shells.map((s) => s.echoed));
    // Instances grow (4, 16, 64 slots, then the full count): three small ones more at most.
    assert.ok(
      pool[inspect]().instances - instancesBefore <= Math.ceil(1000 / DEFAULT_GEOMETRY.slotsPerInstance) + 3,
      `${pool[inspect]().instances} core instances`,
    );
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

  // How many fds are left decides which call runs out first: the stderr endpoint (pipe2), one of
  // the stdio socketpairs, or the spawn itself (libuv's exec-status pipe). Leaving 0 to 7 free
  // lands on each of them in turn, whatever the machine's fd table looks like.
  it('fails a transport with a clear error when fds run out at any step, leaking nothing, while the others go on', async function () {
    const binding = loadBinding();
    if (!binding.setOpenFileLimit) this.skip(); // Windows has no RLIMIT_NOFILE
    await openRemoteShell({ host: 'warm-up', rsh: CHATTY_ECHO, stderr: 'capture' }).close();
    await sleep(20);
    const syscalls = new Set<string>();
    for (let free = 0; free < 8; free++) {
      const before = describeFds();
      const others = Array.from({ length: 4 }, (_, i) => open(i));
      const saved = openFileLimit();
      let starved: RemoteShell;
      try {
        binding.setOpenFileLimit!(limitLeaving(free));
        starved = openRemoteShell({ host: 'one-too-many', rsh: CHATTY_ECHO, stderr: 'capture' });
      } finally {
        binding.setOpenFileLimit!(saved.soft);
      }
      const err = await starved.finished.then(
        () => assert.fail(`${free} free fds: the spawn succeeded`),
        (e: RemoteShellError) => e,
      );
      assert.equal(err.code, 'ERR_SPAWN');
      assert.match(err.message, /^cannot start the remote shell: this process has too many open files \(EMFILE, [^)]+\)$/);
      assert.equal(err.reason, 'spawn-failed');
      assert.equal(err.hint, 'Raise the limit (raiseOpenFileLimit(), ulimit -n) or open fewer remote shells at once.');
      assert.equal(starved.pid, undefined);
      syscalls.add(/\(EMFILE, ([^)]+)\)/.exec(err.message)![1]);

      await Promise.all(others.map((s) => s.echoed));
      for (const s of others) s.shell.stream.end();
      await Promise.all(others.map((s) => s.shell.finished));
      for (const s of others) assert.deepEqual(Buffer.concat(s.received), s.payload);
      await sleep(20);
      assert.deepEqual(describeFds(), before, `${free} free fds: fds left open after a failed spawn (${err.message})`);
    }
    assert.deepEqual([...syscalls].sort(), ['pipe2', 'socketpair', `spawn ${CHATTY_ECHO[0]}`]);
  });
});

// The soft RLIMIT_NOFILE under which exactly `free` more fds can be opened: the kernel hands out
// the lowest free numbers, so it counts the holes below the limit, not the fds in use.
function limitLeaving(free: number): number {
  const inUse = new Set(openFds().map(Number));
  let limit = 0;
  let holes = 0;
  while (holes < free || inUse.has(limit)) {
    if (!inUse.has(limit)) holes++;
    limit++;
  }
  return limit;
}

// Every open fd with what it refers to, so that a leak names its kind (socket:[...], pipe:[...]).
function describeFds(): string[] {
  return [...fdTargets()].map(([fd, target]) => `${fd} -> ${target}`).sort();
}
