import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, cliEnv, runCli as cli } from '../helpers/cli.js';
import { STAND_IN } from '../helpers/stand-in.js';
import { scratchDir } from '../helpers/scratch.js';
import { scaled } from '../helpers/promises.js';

const standIn = `--rsh=${process.execPath} ${STAND_IN}`;

function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(path.join(dir, at)).sort()) {
      const rel = path.join(at, name);
      if (statSync(path.join(dir, rel)).isDirectory()) walk(rel);
      else files[rel] = readFileSync(path.join(dir, rel)).toString('base64');
    }
  };
  walk('');
  return files;
}

describe('the rsh-transport command', function () {
  this.timeout(scaled(60_000));

  it('passes its arguments to the remote shell untouched, after its own options', async () => {
    const dir = scratchDir('rsh-cli-');
    const echoArgs = path.join(dir, 'echo-args');
    writeFileSync(echoArgs, '#!/bin/sh\nprintf "%s\\0" "$@"\n', { mode: 0o755 });
    const args = ['-p', '22', '-o', 'SendEnv=A B', '--', 'host', "cmd 'x'; y", '', '--rsh=not-ours'];
    const { status, stdout } = await cli([`--rsh=${echoArgs} -x`, '--drain-timeout=50', '--', ...args]);
    assert.equal(status, 0);
    assert.deepEqual(stdout.toString().split('\0').slice(0, -1), ['-x', ...args]);
  });

  it('bridges stdin and stdout binary-safe', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    const { status, stdout } = await cli([standIn, 'host', 'cat'], data);
    assert.equal(status, 0);
    assert.ok(stdout.equals(data));
  });

  it("exits with the remote shell's status after one clear last line on failure", async () => {
    const { status, stderr } = await cli([standIn, 'host', 'echo "Permission denied (publickey)." >&2; exit 255']);
    assert.equal(status, 255);
    // ssh's own failure: the reason and what to do, in one line.
    assert.match(
      stderr,
      /^Permission denied \(publickey\)\.\nrsh-transport: stand-in-ssh\.mjs could not authenticate: Permission denied \(publickey\)\. Check the user name and the key [^\n]+\n$/,
    );
    assert.equal((await cli([standIn, 'host', 'exit 3'])).status, 3);
  });

  it('exits with 128+N when the remote shell dies of signal N', async () => {
    const { status, stderr } = await cli(['--rsh=sh -c "kill -TERM $$" sh', 'host']);
    assert.equal(status, 128 + 15);
    assert.equal(
      stderr,
      'rsh-transport: sh was killed by SIGTERM. A signal ended it: a timeout, the out-of-memory killer, an administrator, or kill().\n',
    );
  });

  it('with --quiet-stderr shows stderr only on failure, then a last line only where it adds something', async () => {
    const ok = await cli(['--quiet-stderr', standIn, 'host', 'echo chatter >&2']);
    assert.deepEqual([ok.status, ok.stderr], [0, '']);
    const failed = await cli(['--quiet-stderr', standIn, 'host', 'echo one >&2; echo two >&2; exit 1']);
    assert.equal(failed.status, 1);
    // Its last line is no error of its own: the status is said, the line not again.
    assert.equal(failed.stderr, 'one\ntwo\nrsh-transport: the remote command failed with exit code 1\n');
    const said = await cli(['--quiet-stderr', standIn, 'host', 'echo "error: disk full" >&2; exit 1']);
    assert.equal(said.stderr, 'error: disk full\n', 'the remote command said why');
    const silent = await cli(['--quiet-stderr', standIn, 'host', 'exit 1']);
    assert.equal(silent.stderr, 'rsh-transport: the remote command failed with exit code 1\n', 'nothing said why');
  });

  it('says nothing twice: a remote failure whose line was forwarded gets no line, or the hint alone; a remote 255 gets whose it may be', async () => {
    const git = await cli([standIn, 'host', `echo "fatal: '/srv/x.git' does not appear to be a git repository" >&2; exit 128`]);
    assert.deepEqual([git.status, git.stderr], [128, "fatal: '/srv/x.git' does not appear to be a git repository\n"]);
    const rsync = await cli([standIn, 'host', 'echo "rsync error: some files/attrs were not transferred (code 23)" >&2; exit 23']);
    assert.equal(rsync.status, 23);
    assert.equal(
      rsync.stderr,
      "rsync error: some files/attrs were not transferred (code 23)\nrsh-transport: rsync's exit code 23 means partial transfer due to error (rsync(1), EXIT VALUES); its own lines above say which files.\n",
    );
    const missing = await cli([standIn, 'host', 'echo "bash: line 1: rsyncx: command not found" >&2; exit 127']);
    assert.match(
      missing.stderr,
      /^bash: line 1: rsyncx: command not found\nrsh-transport: Install the program on the remote host [^\n]+\n$/,
    );
    const hg = await cli([standIn, 'host', 'echo "abort: repository /srv/hg/x not found" >&2; exit 255']);
    assert.equal(hg.status, 255);
    assert.match(
      hg.stderr,
      /^abort: repository \/srv\/hg\/x not found\nrsh-transport: the remote command or stand-in-ssh\.mjs ended the session with status 255 after it was established\. ssh exits with 255 [^\n]*ssh -v[^\n]*\n$/,
    );
  });

  it('forwards stderr to a pipe byte for byte; --sanitize=always shows control characters, colours kept; the last line is always safe', async () => {
    const hostile = String.raw`printf 'a]0;tb [31mred[0m
' >&2; printf 'x: error: [2J
' >&2; exit 3`;
    const raw = await cli([standIn, 'host', hostile]);
    assert.equal(raw.status, 3);
    assert.equal(raw.stderr, 'a\x1b]0;t\x07b \x1b[31mred\x1b[0m\nx: error: \x1b[2J\n');
    const safe = await cli(['--sanitize=always', standIn, 'host', hostile]);
    assert.equal(safe.stderr, 'a^[]0;t^Gb \x1b[31mred\x1b[0m\x1b[m\nx: error: ^[[2J\n');
    // A last line that quotes what the remote side wrote: the escape sequence is not in it.
    const unresolved = await cli([
      standIn,
      'host',
      String.raw`printf 'ssh: Could not resolve hostname h[2J: Name or service not known\n' >&2; exit 255`,
    ]);
    assert.equal(unresolved.status, 255);
    assert.match(
      unresolved.stderr,
      /\nrsh-transport: stand-in-ssh\.mjs could not resolve the host name h: Name or service not known\. Check the spelling [^\n\x1b]+\n$/,
    );
    const quiet = await cli(['--quiet-stderr', standIn, 'host', hostile]);
    assert.equal(quiet.stderr, raw.stderr, '--quiet-stderr writes the held-back bytes by the same rule');
    const quietSafe = await cli(['--quiet-stderr', '--sanitize=always', standIn, 'host', hostile]);
    assert.equal(quietSafe.stderr, safe.stderr, '--quiet-stderr writes what forwarding would have');
    const bad = await cli(['--sanitize=sometimes', 'host']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^rsh-transport: --sanitize needs auto, always or never, got "sometimes"\n/);
  });

  it('names a missing remote shell and exits 127', async () => {
    const { status, stderr } = await cli(['--rsh=no-such-remote-shell', 'host']);
    assert.equal(status, 127);
    assert.equal(
      stderr,
      'rsh-transport: cannot start the remote shell: "no-such-remote-shell" was not found on PATH. Check the remote shell named in rsh, or the PATH given in env.\n',
    );
  });

  it('refuses its own bad options with the usage, exit 2', async () => {
    const badTimeouts = ['soon', '', '0x10', '1e3', ' 7', '-1', '99999999999', '2147483648'].map((v) => [`--drain-timeout=${v}`, 'host']);
    for (const args of [['--bogus', 'host'], ...badTimeouts, [], [`--rsh=ssh -o 'x`, 'host']]) {
      const { status, stderr } = await cli(args);
      assert.equal(status, 2, args.join(' '));
      assert.match(stderr, /^rsh-transport: /);
    }
  });

  it('prints --help and --version', async () => {
    assert.match((await cli(['--help'])).stdout.toString(), /^usage: rsh-transport \[--rsh=CMD\]/);
    assert.match(
      (await cli(['--version'])).stdout.toString(),
      /^rsh-transport \d+\.\d+\.\d+ \(stderr endpoint: pipe; addon built from source; command: native launcher\)\n$/,
    );
  });

  it('works as rsync -e, pushing and pulling a tree', () => {
    const root = scratchDir('rsh-cli-rsync-');
    const src = path.join(root, 'src');
    mkdirSync(path.join(src, 'sub dir'), { recursive: true });
    writeFileSync(path.join(src, 'binary.bin'), randomBytes(300_000));
    writeFileSync(path.join(src, 'sub dir', 'a file.txt'), 'text\n');
    const rsh = `${CLI} --rsh="${process.execPath} ${STAND_IN}"`;
    const push = spawnSync('rsync', ['-a', '-e', rsh, `${src}/`, `localhost:${root}/pushed/`], { encoding: 'utf8', env: cliEnv() });
    assert.equal(push.status, 0, push.stderr);
    const pull = spawnSync('rsync', ['-a', '-e', rsh, `localhost:${root}/pushed/`, `${root}/pulled/`], { encoding: 'utf8', env: cliEnv() });
    assert.equal(pull.status, 0, pull.stderr);
    assert.deepEqual(tree(`${root}/pushed`), tree(src));
    assert.deepEqual(tree(`${root}/pulled`), tree(src));
  });

  it("works as GIT_SSH_COMMAND, through git's probe of the ssh variant", () => {
    const root = scratchDir('rsh-cli-git-');
    const git = (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', env: cliEnv({ GIT_CONFIG_NOSYSTEM: '1', HOME: root, ...env }) });
      assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    git(['init', '-q', '-b', 'main', 'origin']);
    writeFileSync(path.join(root, 'origin', 'README'), 'hello\n');
    git(['-C', 'origin', 'add', 'README']);
    git(['-C', 'origin', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first']);
    const command = `${CLI} --rsh="${process.execPath} ${STAND_IN}"`;
    git(['clone', '-q', `ssh://localhost${root}/origin`, 'clone'], { GIT_SSH_COMMAND: command });
    assert.equal(readFileSync(path.join(root, 'clone', 'README'), 'utf8'), 'hello\n');
    assert.equal(git(['-C', 'clone', 'rev-parse', 'HEAD']), git(['-C', 'origin', 'rev-parse', 'HEAD']));
  });
});
