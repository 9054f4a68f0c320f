// retry against a local stand-in that fails as ssh does when the port refuses (status 255 and
// ssh's message), in both runs of the transport suite: with the addon (the kernel says whether
// anything waits in stdout) and without it (stdout's end says so).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openRemoteShell } from '../../host/index.js';
import { collect } from '../helpers/streams.js';

// Fails as a refused ssh connection for its first `failures` runs, counted in a file; `before`
// runs before each failure.
const flaky = (counter: string, failures: number, before = ':'): string[] => [
  'sh',
  '-c',
  [
    'n=$(cat "$0" 2>/dev/null || echo 0); echo $((n + 1)) > "$0"',
    `if [ "$n" -lt ${failures} ]; then`,
    before,
    '  echo "ssh: connect to host $1 port 22: Connection refused" >&2; exit 255',
    'fi',
    'echo reached',
  ].join('\n'),
  counter,
];

describe('retry with a local stand-in', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rsh-retry-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A shell through the stand-in, which fails `failures` times before it reaches the command.
  const flakyShell = (failures: number, before: string, attempts: number) =>
    openRemoteShell({
      host: 'local',
      rsh: flaky(path.join(dir, 'count'), failures, before),
      stderr: 'capture',
      retry: { attempts, delayMs: 10 },
    });

  it('tries again after refused connections, and the same stream carries on', async () => {
    const shell = flakyShell(2, ':', 3);
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.equal(out.toString(), 'reached\n');
    assert.equal(shell.attempts, 3);
    assert.equal(readFileSync(path.join(dir, 'count'), 'utf8').trim(), '3');
  });

  it('tries again when a grandchild still holds stdout after the refusal', async () => {
    const shell = flakyShell(1, '(exec 2>&-; sleep 0.3) &', 2);
    const [out] = await Promise.all([collect(shell.stream), shell.finished]);
    assert.equal(out.toString(), 'reached\n');
    assert.equal(shell.attempts, 2);
  });

  it('never after a byte came back, even unread: the byte is delivered', async () => {
    const shell = flakyShell(1, 'printf X', 3);
    // A reader, paused: the byte waits unread in the socket or the kernel.
    shell.stream.pause();
    await new Promise((resolve) => shell.exited.then(resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const out = collect(shell.stream);
    const err = await shell.finished.then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, 'the run failed');
    assert.equal((await out).toString(), 'X');
    assert.equal(shell.attempts, 1);
  });
});
