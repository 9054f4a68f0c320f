// The private directory, attacked the ways a shared machine allows: a symbolic link of one's own
// that leads into a directory others may write to or own, a link as the directory itself, a
// TMPDIR that is relative or points where others can swap what is made. Whatever is refused is
// refused before anything is made; what is accepted is absolute, this user's, mode 0700.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openRemoteShell } from '../../host/index.js';
import { checkPath, privateDir, runtimeDir } from '../../host/runtime-dir.js';
import { ROOT } from '../helpers/root.js';
import { scaled } from '../helpers/promises.js';

const MODULE = pathToFileURL(path.join(ROOT, 'host/runtime-dir.ts')).href;
// nobody's uid on Linux: a user that is neither root nor whoever runs the tests.
const OTHER = 65534;
const asRoot = process.getuid?.() === 0;

interface Made {
  dir?: string;
  again?: string;
  mode?: number;
  uid?: number;
  error?: string;
  warnings: string[];
}

/** runtimeDir() in a fresh process (it keeps its directory for the process's life), in `cwd`
 * with TMPDIR `tmp`; `wrap` runs the process some other way (unshare). What it made is gone once
 * it has exited, so it reports the directory's mode and owner itself. TMPDIR is set once the
 * module is loaded: tsx keeps its cache under the TMPDIR it starts with, and would make it. */
function runtimeDirOf(options: { cwd?: string; tmp: string; wrap?: string[] }): Made {
  const code = `
    const warnings = [];
    process.on('warning', (w) => warnings.push(w.message));
    ${options.cwd ? `process.chdir(${JSON.stringify(options.cwd)});` : ''}
    const { runtimeDir } = await import(${JSON.stringify(MODULE)});
    process.env.TMPDIR = ${JSON.stringify(options.tmp)};
    let out;
    try {
      const dir = runtimeDir();
      // The first use decides: a later chdir does not move the directory.
      process.chdir('/');
      const { lstatSync } = await import('node:fs');
      const stat = lstatSync(dir);
      out = { dir, again: runtimeDir(), mode: stat.isDirectory() ? stat.mode & 0o7777 : -1, uid: stat.uid };
    } catch (err) {
      out = { error: err.constructor.name + ': ' + err.message };
    }
    // The warning is emitted on the next tick.
    setImmediate(() => process.stdout.write(JSON.stringify({ ...out, warnings })));
  `;
  const argv = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', code];
  const [program, ...args] = [...(options.wrap ?? []), ...argv];
  // Started in the repository, where tsx is found; the code moves to `cwd` itself.
  const run = spawnSync(program, args, { cwd: ROOT, env: { ...process.env, TMP: '', TEMP: '' }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Made;
}

describe('runtime-dir: the private directory', function () {
  this.timeout(scaled(60_000));
  let base: string;
  const uid = process.getuid?.();

  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'rsh-rd-'));
  });
  afterEach(() => {
    rmSync(base, { recursive: true, force: true });
  });

  /** A directory others may write to, without the sticky bit that would stop them renaming. */
  const openDir = (name: string): string => {
    const dir = path.join(base, name);
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    return dir;
  };

  describe('multiplex.dir through a symbolic link', () => {
    it('a link of mine into a directory others may write to is refused, and nothing is made', () => {
      const open = openDir('open');
      symlinkSync(open, path.join(base, 'link'));
      const dir = path.join(base, 'link', 'mine');
      const expected =
        /^RangeError: multiplex\.dir ".*\/link\/mine" is under .*\/open \(through the symbolic link .*\/link\), which others may write to/;
      assert.throws(() => checkPath('multiplex.dir', dir), expected);
      assert.throws(() => privateDir('multiplex.dir', dir), expected);
      assert.deepEqual(readdirSync(open), [], 'nothing is made in it');
    });

    it('openRemoteShell refuses it before spawning ssh', () => {
      const open = openDir('open');
      symlinkSync(open, path.join(base, 'link'));
      const dir = path.join(base, 'link', 'deeper', 'mine');
      assert.throws(
        () => openRemoteShell({ host: 'example.invalid', rsh: 'ssh', command: ['true'], multiplex: { dir } }),
        (err: Error) =>
          err instanceof RangeError &&
          /is under .*\/open \(through the symbolic link .*\/link\), which others may write to/.test(err.message),
      );
      assert.deepEqual(readdirSync(open), [], 'nothing is made in it');
    });

    it('a link that leads through a link in a directory others may write to is refused too', () => {
      // The way the kernel walks passes open/hop, which anyone may replace, though neither the
      // path as given nor the path it resolves to today goes through open.
      const open = openDir('open');
      const safe = path.join(base, 'safe');
      mkdirSync(safe, { mode: 0o700 });
      symlinkSync(safe, path.join(open, 'hop'));
      symlinkSync(path.join(open, 'hop'), path.join(base, 'link'));
      assert.throws(() => checkPath('multiplex.dir', path.join(base, 'link', 'mine')), /is under .*\/open .*, which others may write to/);
      assert.equal(existsSync(path.join(safe, 'mine')), false);
    });

    it('a link of mine into a private directory is followed and accepted', () => {
      const safe = path.join(base, 'safe');
      mkdirSync(safe, { mode: 0o700 });
      // A relative link, as `ln -s safe link` makes.
      symlinkSync('safe', path.join(base, 'link'));
      const dir = path.join(base, 'link', 'mine');
      assert.equal(privateDir('multiplex.dir', dir), dir);
      assert.equal(lstatSync(path.join(safe, 'mine')).mode & 0o777, 0o700);
    });

    it('the directory itself a link is refused, even to a private directory of mine', () => {
      const real = path.join(base, 'real');
      mkdirSync(real, { mode: 0o700 });
      const link = path.join(base, 'final');
      symlinkSync(real, link);
      const expected = /^RangeError: multiplex\.dir ".*\/final" is a symbolic link \(to .*\/real\)/;
      assert.throws(() => checkPath('multiplex.dir', link), expected);
      assert.throws(() => privateDir('multiplex.dir', link), expected);
      assert.throws(() => openRemoteShell({ host: 'example.invalid', rsh: 'ssh', command: ['true'], multiplex: { dir: link } }), expected);
      assert.deepEqual(readdirSync(real), []);
    });

    it('a loop of links is refused, not followed forever', () => {
      symlinkSync('b', path.join(base, 'a'));
      symlinkSync('a', path.join(base, 'b'));
      assert.throws(() => checkPath('multiplex.dir', path.join(base, 'a', 'mine')), /too many symbolic links/);
    });

    it('a relative dir is resolved against the process working directory', () => {
      const before = process.cwd();
      process.chdir(base);
      try {
        assert.equal(privateDir('multiplex.dir', 'rel/mine'), path.join(base, 'rel', 'mine'));
      } finally {
        process.chdir(before);
      }
      assert.equal(lstatSync(path.join(base, 'rel', 'mine')).mode & 0o777, 0o700);
    });
  });

  describe('a parent of another user, through a link (as root)', () => {
    before(function () {
      // Giving a file to another user needs root, as CI runs; as anyone else, chown fails.
      if (!asRoot) this.skip();
    });

    it('a link of mine into a directory of another uid is refused', () => {
      const theirs = path.join(base, 'theirs');
      mkdirSync(theirs, { mode: 0o755 });
      chownSync(theirs, OTHER, OTHER);
      symlinkSync(theirs, path.join(base, 'link'));
      const dir = path.join(base, 'link', 'mine');
      assert.throws(
        () => privateDir('multiplex.dir', dir),
        new RegExp(`is under .*/theirs \\(through the symbolic link .*/link\\), which belongs to uid ${OTHER}`),
      );
      assert.throws(
        () => openRemoteShell({ host: 'example.invalid', rsh: 'ssh', command: ['true'], multiplex: { dir } }),
        /which belongs to uid 65534/,
      );
      assert.deepEqual(readdirSync(theirs), []);
    });

    it('a link owned by another uid is refused, though it leads to a directory of mine, even in a sticky directory', () => {
      const safe = path.join(base, 'safe');
      mkdirSync(safe, { mode: 0o700 });
      const sticky = path.join(base, 'sticky');
      mkdirSync(sticky);
      chmodSync(sticky, 0o1777);
      const link = path.join(sticky, 'link');
      symlinkSync(safe, link);
      // Mine, in a sticky directory: no one else may replace it.
      assert.equal(privateDir('multiplex.dir', path.join(link, 'ok')), path.join(link, 'ok'));
      lchownSync(link, OTHER, OTHER);
      assert.throws(
        () => checkPath('multiplex.dir', path.join(link, 'mine')),
        /goes through the symbolic link .*\/sticky\/link, which belongs to uid 65534/,
      );
      assert.equal(existsSync(path.join(safe, 'mine')), false);
    });
  });

  describe('the default directory and TMPDIR', () => {
    it('is absolute, mine, 0700, under the temporary directory', () => {
      const dir = runtimeDir();
      assert.ok(path.isAbsolute(dir));
      assert.equal(path.dirname(dir), path.resolve(tmpdir()));
      assert.match(path.basename(dir), /^rsh-/);
      const stat = lstatSync(dir);
      assert.ok(stat.isDirectory());
      assert.equal(stat.mode & 0o7777, 0o700);
      if (uid !== undefined) assert.equal(stat.uid, uid);
    });

    it('a relative TMPDIR is resolved once, against the working directory at first use', () => {
      const rel = path.join(base, 'tmp-rel');
      mkdirSync(rel, { mode: 0o700 });
      const made = runtimeDirOf({ cwd: base, tmp: 'tmp-rel' });
      assert.equal(made.error, undefined);
      assert.ok(path.isAbsolute(made.dir!), made.dir);
      assert.equal(path.dirname(made.dir!), rel);
      assert.match(path.basename(made.dir!), /^rsh-/);
      assert.equal(made.again, made.dir, 'the same after a chdir');
      assert.equal(made.mode, 0o700);
      if (uid !== undefined) assert.equal(made.uid, uid);
      assert.deepEqual(made.warnings, []);
      assert.deepEqual(readdirSync(rel), [], 'and removed at exit');
    });

    it('a TMPDIR others may write to is left for /tmp, with a warning that says why', () => {
      const open = openDir('open');
      const made = runtimeDirOf({ tmp: open });
      assert.equal(made.error, undefined);
      assert.equal(path.dirname(made.dir!), '/tmp');
      assert.equal(made.mode, 0o700);
      assert.deepEqual(readdirSync(open), [], 'nothing is made in it');
      assert.equal(made.warnings.length, 1);
      assert.match(
        made.warnings[0],
        /^TMPDIR ".*\/open" is refused, as .*\/open is writable by others without the sticky bit: the private directory is made under \/tmp instead$/,
      );
    });

    it('a TMPDIR reached through a link into a directory others may write to is left too', () => {
      const open = openDir('open');
      symlinkSync(open, path.join(base, 'link'));
      const made = runtimeDirOf({ tmp: path.join(base, 'link') });
      assert.equal(path.dirname(made.dir!), '/tmp');
      assert.deepEqual(readdirSync(open), []);
      assert.match(
        made.warnings.join('\n'),
        /TMPDIR ".*\/link" is refused, as .*\/open \(through the symbolic link .*\/link\) is writable by others without the sticky bit/,
      );
    });

    it('a TMPDIR that does not exist is left for /tmp', () => {
      const made = runtimeDirOf({ tmp: path.join(base, 'missing') });
      assert.equal(path.dirname(made.dir!), '/tmp');
      assert.match(made.warnings.join('\n'), /TMPDIR ".*\/missing" is refused, as .*\/missing does not exist/);
    });

    describe('when /tmp itself is open to others (as root, in a mount namespace of its own)', () => {
      // A private mount namespace puts a tmpfs of mode 0777, without the sticky bit, on /tmp for
      // the child only (with /tmp/open in it, also 0777); making one needs root and a kernel and
      // container that allow unshare.
      const canUnshare = asRoot && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
      // The repository may itself be under /tmp (a CI clone): it is carried across the tmpfs,
      // through /mnt, to the same path, so that the child still finds its modules.
      const script = [
        'mount --bind "$0" /mnt',
        'mount -t tmpfs -o mode=0777 none /tmp',
        'mkdir -p "$0" && mount --bind /mnt "$0"',
        'mkdir -m 0777 /tmp/open',
        'exec "$@"',
      ].join(' && ');
      const wrap = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, ROOT];
      const advice = 'set TMPDIR to a directory whose parents only you or root can change';
      before(function () {
        if (!canUnshare) this.skip();
      });

      it('the default directory is refused with a RangeError naming the problem', () => {
        const made = runtimeDirOf({ tmp: '', wrap });
        assert.equal(made.dir, undefined);
        assert.equal(
          made.error,
          `RangeError: no private directory can be made: /tmp is refused, as /tmp is writable by others without the sticky bit: ${advice}`,
        );
      });

      it('with a TMPDIR open too, both are named', () => {
        const made = runtimeDirOf({ tmp: '/tmp/open', wrap });
        assert.equal(
          made.error,
          'RangeError: no private directory can be made: TMPDIR "/tmp/open" is refused, as /tmp is writable by others without the sticky bit; ' +
            `/tmp is refused, as /tmp is writable by others without the sticky bit: ${advice}`,
        );
      });
    });
  });
});
