import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI } from '../transport/helpers.js';
import { useSshd } from './sshd.js';
import { checksums, makeTree } from './tree.js';

describe('git through a real sshd', function () {
  this.timeout(120_000);
  const peer = useSshd();

  const git = (args: string[], env: NodeJS.ProcessEnv = {}): string => {
    const r = spawnSync('git', args, { cwd: peer.scratch, encoding: 'utf8', env: { ...process.env, HOME: peer.scratch, GIT_CONFIG_NOSYSTEM: '1', ...env } });
    assert.equal(r.status, 0, `git ${args.join(' ')}:\n${r.stderr}`);
    return r.stdout;
  };

  it('clones over ssh with GIT_SSH_COMMAND naming rsh-transport, the clone equal to the origin', () => {
    const origin = path.join(peer.scratch, 'origin');
    git(['init', '-q', '-b', 'main', origin]);
    makeTree(origin, 200, 2 * 1024 * 1024);
    writeFileSync(path.join(origin, 'README'), 'over ssh\n');
    git(['-C', origin, 'add', '-A']);
    git(['-C', origin, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'tree']);

    const command = `${process.execPath} ${CLI} --rsh="${peer.sshd.rsh}"`;
    git(['clone', '-q', `ssh://${peer.sshd.user}@${peer.sshd.host}:${peer.sshd.port}${origin}`, 'clone'], { GIT_SSH_COMMAND: command });
    const clone = path.join(peer.scratch, 'clone');
    assert.equal(git(['-C', clone, 'rev-parse', 'HEAD']), git(['-C', origin, 'rev-parse', 'HEAD']));
    git(['-C', clone, 'fsck', '--strict']);
    const withoutGit = (sums: Map<string, string>) => new Map([...sums].filter(([file]) => !file.startsWith('.git')));
    assert.deepEqual(withoutGit(checksums(clone)), withoutGit(checksums(origin)));
  });
});
