// The tests' own OpenSSH server: what a run cut short leaves of it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { alive } from '../cli/procs.js';
import { posixOnly } from '../helpers/posix.js';
import { scaled, waitFor } from '../helpers/promises.js';
import { ROOT } from '../helpers/root.js';
import { requireTools, sshdArgv } from './sshd.js';

describe('the test sshd', function () {
  this.timeout(scaled(60_000));

  it('dies with the process that started it, even one killed outright (POSIX)', async function () {
    posixOnly(this, 'sshd');
    requireTools();
    if (!sshdArgv('x').some((word) => word.endsWith('/setpriv'))) this.skip();
    const script = [
      `import { startSshd } from ${JSON.stringify(path.join(ROOT, 'test/peers/sshd.ts'))};`,
      'const sshd = await startSshd();',
      "process.stdout.write(sshd.dir + '\\n');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const dir = chunk.toString().trim();
    let sshd: number | undefined;
    try {
      const pidFile = path.join(dir, 'sshd.pid');
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'sshd to write its pid');
      const pid = Number(readFileSync(pidFile, 'utf8'));
      sshd = pid;
      assert.ok(alive(pid), 'sshd runs');
      child.kill('SIGKILL');
      await waitFor(() => !alive(pid), 'sshd to end with the process that started it');
    } finally {
      child.kill('SIGKILL');
      // On failure, not left listening.
      if (sshd !== undefined && alive(sshd)) process.kill(sshd, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
