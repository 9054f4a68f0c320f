// The package as users get it: `npm pack`, then the tarball installed into a new project the
// ways users install it (npm as it is; with the install script allowed and no compiler; with
// --ignore-scripts, as pnpm and npm 12 do for dependencies; without the prebuild, with and
// without a compiler; the socketpair build asked for, then given up), each time used from ESM
// and CommonJS and through the command.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/root.js';
import { scaled } from '../helpers/promises.js';

const NPM =
  process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  const started = performance.now();
  const result = spawnSync(NPM[0], [...NPM.slice(1), ...args], { cwd, env, encoding: 'utf8', timeout: 300_000 });
  (result as { ms?: number }).ms = performance.now() - started;
  return result;
}

/** A PATH where everything of this machine is, but make and the compilers; with CXX=false. */
function withoutCompiler(dir: string): NodeJS.ProcessEnv {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const hidden = new Set(['make', 'gmake', 'g++', 'gcc', 'c++', 'cc', 'clang', 'clang++', 'cpp']);
  const seen = new Set<string>();
  for (const dirOnPath of (process.env.PATH ?? '').split(':')) {
    let names: string[];
    try {
      names = readdirSync(dirOnPath);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name) || hidden.has(name) || /^(g\+\+|gcc|c\+\+|clang|x86_64-linux-gnu-)/.test(name)) continue;
      seen.add(name);
      symlinkSync(path.join(dirOnPath, name), path.join(bin, name));
    }
  }
  return { ...process.env, PATH: bin, CXX: 'false', CC: 'false', npm_config_nodedir: undefined };
}

// What a user's program does: a remote shell through a local child, its stderr captured.
const USE = `openRemoteShell({ host: 'x', rsh: ['sh', '-c', 'read line; echo "got $line"; echo chatty >&2', 'sh'], stderr: 'capture' })`;
const REPORT = `(async (shell) => {
  shell.stream.end('ping\\n');
  const chunks = [];
  for await (const chunk of shell.stream) chunks.push(chunk);
  const result = await shell.finished;
  console.log(JSON.stringify({ code: result.code, out: Buffer.concat(chunks).toString(), err: shell.stderr.snapshot().text, backend: shell.stderr.stats.backend }));
})`;

interface Use {
  backend: string;
  version: string;
}

function use(project: string, env: NodeJS.ProcessEnv = process.env): Use {
  const run = (args: string[]): string => execFileSync(process.execPath, args, { cwd: project, env, encoding: 'utf8' });
  const esm = JSON.parse(run(['--input-type=module', '-e', `import { openRemoteShell } from 'rsh-transport'; await ${REPORT}(${USE});`]));
  const cjs = JSON.parse(run(['-e', `const { openRemoteShell } = require('rsh-transport'); ${REPORT}(${USE});`]));
  for (const got of [esm, cjs])
    assert.deepEqual({ ...got, backend: undefined }, { code: 0, out: 'got ping\n', err: 'chatty\n', backend: undefined });
  assert.equal(esm.backend, cjs.backend);
  const command = path.join(project, 'node_modules/.bin/rsh-transport');
  const version = execFileSync(command, ['--version'], { cwd: project, env, encoding: 'utf8' });
  const through = spawnSync(command, ['--rsh=sh -c \'echo "command $1"; echo said >&2\' sh', 'x', 'y'], {
    cwd: project,
    env,
    encoding: 'utf8',
  });
  assert.equal(through.status, 0, through.stderr);
  assert.equal(through.stdout, 'command x\n');
  assert.equal(through.stderr, 'said\n');
  return { backend: esm.backend, version };
}

describe('the package as users install it', function () {
  this.timeout(scaled(600_000));
  let scratch: string;
  let tarball: string;

  // Packed with scripts off: what prepare and prepack would build (the core, dist/, the
  // prebuilds) the pretest built before the run, so that packing changes nothing the other
  // suites test while they run.
  before(() => {
    for (const built of ['dist/index.js', 'build/core.wasm', `prebuilds/${process.platform}-${process.arch}`, 'prebuilds/win32-x64'])
      assert.ok(existsSync(path.join(ROOT, built)), `${built} is not built: npm test builds it first (node scripts/build-for-tests.mjs)`);
    scratch = mkdtempSync(path.join(tmpdir(), 'rsh-package-'));
    const packed = npm(['pack', '--silent', '--ignore-scripts', '--pack-destination', scratch], ROOT);
    assert.equal(packed.status, 0, packed.stderr);
    tarball = path.join(scratch, packed.stdout.trim().split('\n').pop()!);
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  // `scripts`: the project allows rsh-transport's install script, as npm 12 needs it to (a
  // package from a tarball is named by its file: spec there).
  const project = (name: string, scripts = false): string => {
    const dir = path.join(scratch, name);
    mkdirSync(dir);
    const allowScripts = { [`file:${tarball}`]: true, 'rsh-transport': true };
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name, version: '1.0.0', private: true, ...(scripts ? { allowScripts } : {}) }),
    );
    return dir;
  };
  const install = (dir: string, args: string[] = [], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string> => {
    const result = npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...args, tarball], dir, env);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    console.log(`      npm install ${args.join(' ')}: ${((result as { ms?: number }).ms! / 1000).toFixed(1)} s`);
    return result;
  };

  it('holds what users run and nothing else', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, ''));
    for (const needed of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/bundle.js',
      'bin/rsh-transport.js',
      'build/core.wasm',
      'build/core-wasi.wasm',
      'binding.gyp',
      'native/addon.cc',
      'scripts/install.mjs',
      'scripts/windows-bin.mjs',
      'scripts/build-native.mjs',
      'scripts/build-launcher.mjs',
      'launcher/main.c',
      'build/c-host/core.c',
      'third_party/wasm2c-runtime/wasm-rt-impl.c',
      `prebuilds/${process.platform}-${process.arch}/node.napi.glibc.node`,
      `prebuilds/${process.platform}-${process.arch}/rsh-transport-launcher`,
      // Cross-built by scripts/build-win32.mjs (test:win32 runs it under Wine).
      'prebuilds/win32-x64/node.napi.node',
    ]) {
      assert.ok(files.includes(needed), `${needed} is in the package`);
    }
    for (const file of files) {
      assert.doesNotMatch(
        file,
        /^(test|bench|examples|hosts|\.ci|build\/Release|build\/variants|build\/launcher|scripts\/(fuzz|build-c-host))|\.fuzz|build\/c-host\/(?!core\.[ch]$)/,
        `${file} is not for users`,
      );
      // Nothing built from a source that is gone.
      const source = /^dist\/(.*)\.(?:js|d\.ts|js\.map)$/.exec(file)?.[1];
      if (source !== undefined && source !== 'cli/bundle')
        assert.ok(files.includes(`host/${source}.ts`), `${file} has its source in host/`);
    }
  });

  it('npm install as it is: the prebuilt addon, nothing compiled', () => {
    const dir = project('plain');
    install(dir);
    const used = use(dir);
    assert.equal(used.backend, 'pipe');
    assert.match(used.version, /\(stderr endpoint: pipe; prebuilt addon; command: native launcher\)/);
  });

  it('the install script allowed, no compiler: the prebuild, nothing compiled', () => {
    const dir = project('no-compiler', true);
    const env = withoutCompiler(dir);
    const result = install(dir, ['--foreground-scripts'], env);
    assert.match(result.stdout + result.stderr, /rsh-transport: using the prebuilt addon prebuilds\//);
    assert.match(result.stdout + result.stderr, /rsh-transport: the command runs through the prebuilt launcher prebuilds\//);
    assert.match(use(dir, env).version, /prebuilt addon; command: native launcher\)/);
  });

  it('--ignore-scripts: the prebuild', () => {
    const dir = project('ignore-scripts');
    install(dir, ['--ignore-scripts']);
    // No install script, no launcher: the command runs through Node.
    assert.match(use(dir).version, /prebuilt addon; command: Node, no native launcher installed\)/);
  });

  it('no prebuild, a compiler: npm rebuild compiles it', () => {
    const dir = project('from-source', true);
    install(dir, ['--ignore-scripts']);
    rmSync(path.join(dir, 'node_modules/rsh-transport/prebuilds'), { recursive: true });
    const rebuilt = npm(['rebuild', 'rsh-transport', '--foreground-scripts'], dir);
    assert.equal(rebuilt.status, 0, rebuilt.stderr);
    console.log(`      npm rebuild with a compiler: ${((rebuilt as { ms?: number }).ms! / 1000).toFixed(1)} s`);
    const used = use(dir);
    assert.equal(used.backend, 'pipe');
    // The launcher from the C sources and the core as C that the package ships.
    assert.match(used.version, /addon built from source; command: native launcher\)/);
  });

  it('the socketpair build asked for, then a plain rebuild: back to the prebuild', () => {
    const dir = project('socketpair', true);
    install(dir, ['--ignore-scripts']);
    const asked = npm(['rebuild', 'rsh-transport', '--foreground-scripts'], dir, { ...process.env, npm_config_ssh_socketpair_stderr: '1' });
    assert.equal(asked.status, 0, asked.stderr);
    assert.match(
      use(dir).version,
      /\(stderr endpoint: socketpair \(pipe as fallback\); addon built from source; command: native launcher\)/,
    );
    const plain = npm(['rebuild', 'rsh-transport', '--foreground-scripts'], dir);
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(use(dir).version, /\(stderr endpoint: pipe; prebuilt addon; command: native launcher\)/);
  });

  it('no prebuild, no compiler: the install succeeds, and stderr is read from JavaScript', () => {
    const dir = project('javascript', true);
    const env = withoutCompiler(dir);
    install(dir, ['--ignore-scripts'], env);
    rmSync(path.join(dir, 'node_modules/rsh-transport/prebuilds'), { recursive: true });
    const rebuilt = npm(['rebuild', 'rsh-transport', '--foreground-scripts'], dir, env);
    assert.equal(rebuilt.status, 0, rebuilt.stderr);
    assert.match(rebuilt.stdout + rebuilt.stderr, /stderr is read from JavaScript/);
    assert.match(rebuilt.stdout + rebuilt.stderr, /The rsh-transport command works without it, through Node/);
    const used = use(dir, env);
    assert.equal(used.backend, 'js');
    assert.match(
      used.version,
      /js, without the native addon: no native addon for linux-x64[^;]*; command: Node, no native launcher installed\)/,
    );
  });
});
