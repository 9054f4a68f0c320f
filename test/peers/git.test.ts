import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, cliEnv } from '../helpers/cli.js';
import { useSshd } from './sshd.js';
import { checksums, makeTree } from './tree.js';
import { scaled } from '../helpers/promises.js';

describe('git through a real sshd', function () {
  this.timeout(scaled(120_000));
  const peer = useSshd();

  const git = (args: string[], env: NodeJS.ProcessEnv = {}): string => {
    const r = spawnSync('git', args, {
      cwd: peer.scratch,
      encoding: 'utf8',
      env: cliEnv({ HOME: peer.scratch, GIT_CONFIG_NOSYSTEM: '1', ...env }),
    });
    assert.equal(r.status, 0, `git ${args.join(' ')}:\n${r.stderr}`);
    return r.stdout;
  };

  it('clones, fetches and pushes over ssh with GIT_SSH_COMMAND naming rsh-transport, the trees equal', () => {
    const origin = path.join(peer.scratch, 'origin');
    git(['init', '-q', '-b', 'main', origin]);
    makeTree(origin, 200, 2 * 1024 * 1024);
    writeFileSync(path.join(origin, 'README'), 'over ssh\n');
    git(['-C', origin, 'add', '-A']);
    git(['-C', origin, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'tree']);

    const command = `${CLI} --rsh="${peer.sshd.rsh}"`;
    git(['clone', '-q', `ssh://${peer.sshd.user}@${peer.sshd.host}:${peer.sshd.port}${origin}`, 'clone'], { GIT_SSH_COMMAND: command });
    const clone = path.join(peer.scratch, 'clone');
    assert.equal(git(['-C', clone, 'rev-parse', 'HEAD']), git(['-C', origin, 'rev-parse', 'HEAD']));
    git(['-C', clone, 'fsck', '--strict']);
    const withoutGit = (sums: Map<string, string>) => new Map([...sums].filter(([file]) => !file.startsWith('.git')));
    assert.deepEqual(withoutGit(checksums(clone)), withoutGit(checksums(origin)));

    // A commit on each side, then fetch and push through the command.
    const commit = (repo: string, file: string) => {
      writeFileSync(path.join(repo, file), `${file}\n`);
      git(['-C', repo, 'add', file]);
      git(['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', file]);
    };
    commit(origin, 'upstream.txt');
    git(['-C', clone, 'fetch', '-q', 'origin'], { GIT_SSH_COMMAND: command });
    assert.equal(git(['-C', clone, 'rev-parse', 'origin/main']), git(['-C', origin, 'rev-parse', 'HEAD']));
    git(['-C', clone, 'merge', '-q', '--ff-only', 'origin/main']);
    commit(clone, 'downstream.txt');
    git(['-C', origin, 'config', 'receive.denyCurrentBranch', 'ignore']);
    git(['-C', clone, 'push', '-q', 'origin', 'main'], { GIT_SSH_COMMAND: command });
    assert.equal(git(['-C', origin, 'rev-parse', 'main']), git(['-C', clone, 'rev-parse', 'HEAD']));
    git(['-C', origin, 'fsck', '--strict']);
  });
});
