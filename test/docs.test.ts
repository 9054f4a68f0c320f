import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HINTS, REASONS } from '../host/diagnosis/reasons.js';
import { buildRemoteShellArgv } from '../host/index.js';
import { CAPTURE_LIMITS } from '../host/core/pool.js';
import { DEFAULT_PERSIST_MS } from '../host/multiplex/options.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_IDLE_FLUSH_MS, DEFAULT_KILL_GRACE_MS, SHELL_OPTION_KEYS } from '../host/options.js';
import { DEFAULT_RETRY_DELAY_MS } from '../host/retry.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_KEEPALIVE } from '../host/rsh/ssh-options.js';
import { TARGET_KEYS } from '../host/rsh/argv.js';
import { scaled, timeScale } from './helpers/promises.js';
import { ROOT } from './helpers/root.js';
import { scratchDir } from './helpers/scratch.js';

/** This environment with nothing on PATH: no `sh`, no `node` to be found, as on a bare Windows. */
function withoutPath(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const empty = scratchDir('rsh-no-path-');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.toUpperCase() !== 'PATH'));
  return { ...env, PATH: empty, ...extra };
}

// The documentation's examples are programs: they run, and say what their comments say.
describe('documented examples', function () {
  this.timeout(scaled(60_000));

  it('assembly/README.md: the JavaScript host prints what its comments show', () => {
    const readme = readFileSync(path.join(ROOT, 'assembly/README.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(readme)![1];
    const file = path.join(scratchDir('rsh-docs-'), 'abi-example.mjs');
    writeFileSync(file, code.replace('node_modules/rsh-transport/build/core.wasm', path.join(ROOT, 'build/core.wasm')));
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    const promised = [...code.matchAll(/^\/\/ (\d .*)$/gm)].map((m) => m[1]);
    assert.deepEqual(out.split('\n').slice(0, promised.length), promised);
    assert.equal(out.split('\n').slice(promised.length).join('\n'), 'debug1: Connecting\n100%\nPermission denied\n\n');
  });

  it('npm run demo: the exchange, the forwarded lines, the error with its snapshot, and no shell needed', () => {
    // Bounded: a demo that waits for ever would hold this synchronous call, and mocha's timeout with it.
    const out = execFileSync(process.execPath, [path.join(ROOT, 'examples/demo.mjs')], {
      encoding: 'utf8',
      env: withoutPath(),
      timeout: 30_000 * timeScale(),
    });
    assert.match(out, /protocol: sent 31, the server speaks 32/);
    assert.match(out, /exchange: "PONG 1\\nPONG 2\\n"/);
    assert.match(out, /stderr progress\| server: scanning \/srv\/data {2}25%/);
    assert.match(
      out,
      /message: {7}the remote command failed with exit code 23: rsync: \[sender\] change_dir "\/srv\/data\/photos" failed: Permission denied \(13\)\n/,
    );
    assert.match(out, /reason: {8}remote-command-failed\n {2}tellingLines: {2}rsync: \[sender\] change_dir/);
    assert.match(out, /hint: {10}rsync's exit code 23 means partial transfer due to error/);
    assert.match(out, /code: {10}ERR_REMOTE_SHELL_EXIT\n {2}exitCode: {6}23\n/);
    assert.match(out, /\n {4}server: scanning \/srv\/data 100%\n {4}rsync: \[sender\] change_dir/);
  });

  it('npm run demo: a remote shell that fails before the exchange ends the demo at once, with its reason', () => {
    const bound = 10_000 * timeScale();
    const run = spawnSync(process.execPath, [path.join(ROOT, 'examples/demo.mjs')], {
      encoding: 'utf8',
      env: withoutPath({ STAND_IN_SSH_FAIL: 'Connection refused' }),
      timeout: bound,
    });
    assert.equal(run.signal, null, `the demo was still waiting after ${bound} ms`);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /stderr line {4}\| ssh: connect to host demo\.invalid port 22: Connection refused\n/);
    assert.doesNotMatch(run.stdout, /protocol:/);
    assert.match(run.stderr, /^\ndemo: no exchange: stand-in-ssh\.mjs could not connect to demo\.invalid port 22: connection refused\n/);
  });

  it('README.md: the table of reasons has every reason once, in order, with its hint', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z-]+)` \| (.*) \| (.*) \|$/gm)].filter((m) => (REASONS as readonly string[]).includes(m[1]));
    assert.deepEqual(
      rows.map((m) => m[1]),
      [...REASONS],
    );
    for (const [, reason, , hint] of rows) {
      const expected = HINTS[reason as keyof typeof HINTS];
      if (expected !== null) assert.equal(hint, expected, reason);
    }
  });

  it("README.md: the options table names every option the checks know, once, with the code's defaults", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| option | default | |'));
    const rows = [...table.slice(0, table.indexOf('\n\n')).matchAll(/^\| (`[^|]*`) \| ([^|]*) \|/gm)];
    const names = rows.flatMap(([, cell]) => [...cell.matchAll(/`(\w+)`/g)].map((m) => m[1]));
    assert.deepEqual([...names].sort(), [...TARGET_KEYS, ...SHELL_OPTION_KEYS].sort());
    const defaults = new Map(rows.map(([, cell, value]) => [cell, value]));
    assert.equal(defaults.get('`drainTimeoutMs`'), String(DEFAULT_DRAIN_TIMEOUT_MS));
    assert.equal(defaults.get('`killGraceMs`'), String(DEFAULT_KILL_GRACE_MS));
    assert.equal(defaults.get('`idleFlushMs`'), String(DEFAULT_IDLE_FLUSH_MS));
    assert.equal(defaults.get('`connectTimeoutMs`'), String(DEFAULT_CONNECT_TIMEOUT_MS));
    assert.equal(defaults.get('`keepalive`'), `\`{ intervalMs: ${DEFAULT_KEEPALIVE.intervalMs}, count: ${DEFAULT_KEEPALIVE.count} }\``);
    const { capacity, headSize, lineMax } = CAPTURE_LIMITS.defaults;
    assert.equal(defaults.get('`capture`'), `\`{ capacity: ${capacity}, headSize: ${headSize}, lineMax: ${lineMax} }\``);
    assert.match(table, new RegExp(`\\{ persistMs = ${DEFAULT_PERSIST_MS}, dir \\}`));
  });

  it("the options' doc comments, which editors show, give the code's defaults", () => {
    const documented = (file: string, option: string): number => {
      const source = readFileSync(path.join(ROOT, file), 'utf8');
      const comment = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*(?:readonly )?${option}\\?:`).exec(source);
      assert.ok(comment, `${file} documents ${option}`);
      return Number(/Default (\d+) ms/.exec(comment[1])![1]);
    };
    assert.equal(documented('host/options.ts', 'drainTimeoutMs'), DEFAULT_DRAIN_TIMEOUT_MS);
    assert.equal(documented('host/options.ts', 'killGraceMs'), DEFAULT_KILL_GRACE_MS);
    assert.equal(documented('host/options.ts', 'idleFlushMs'), DEFAULT_IDLE_FLUSH_MS);
    assert.equal(documented('host/retry.ts', 'delayMs'), DEFAULT_RETRY_DELAY_MS);
    assert.equal(documented('host/multiplex/options.ts', 'persistMs'), DEFAULT_PERSIST_MS);
    assert.equal(documented('host/rsh/ssh-options.ts', 'intervalMs'), DEFAULT_KEEPALIVE.intervalMs);
  });

  it('README.md: the ssh options example gives the argv its comment shows', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /```ts\n(buildRemoteShellArgv\(\{[\s\S]*?\}\));\n((?:\/\/.*\n)+)```/.exec(readme)!;
    const call = block[1].replace(/\/\/.*$/gm, '');
    const shown = JSON.parse(block[2].replace(/^\/\/ ?/gm, '').replace(/'/g, '"'));
    assert.deepEqual(new Function('buildRemoteShellArgv', `return ${call}`)(buildRemoteShellArgv), shown);
  });

  it('README.md: the map of the folders names every folder of the tree, and only those', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const mapped = [...readme.matchAll(/^\| `([a-z_-]+)\/` \| /gm)].map((m) => m[1]).sort();
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((file) => file.includes('/'));
    const folders = [...new Set(tracked.map((file) => file.split('/')[0]))].filter((name) => !name.startsWith('.')).sort();
    assert.deepEqual(mapped, folders);
  });

  it('README.md: the examples of the core on its own give what their comments show', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The core, on its own'), readme.indexOf('## Choosing the stderr endpoint'));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.equal(blocks.length, 2);
    // `EXPRESSION; // VALUE` becomes an assertion wherever VALUE parses as an expression (the
    // values shown: strings, arrays, objects); a comment in words stays a comment.
    let checks = 0;
    const program = blocks
      .join('\n')
      .replace("from 'rsh-transport/core'", `from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/core/index.js')).href)}`)
      .split('\n')
      .map((line) => {
        const m = /^(\S.*?);\s+\/\/ (.*)$/.exec(line);
        if (!m) return line;
        try {
          new Function(`return (${m[2]});`);
        } catch {
          return line;
        }
        checks++;
        return `assert.deepStrictEqual(${m[1]}, (${m[2]}));`;
      })
      .join('\n');
    assert.equal(checks, 3);
    execFileSync(process.execPath, ['--input-type=module', '-e', `import assert from 'node:assert';\n${program}`], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  });

  it('examples/otel-spans.mjs: one span per run, its attempts and connection as events, a failure as its status', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'examples/otel-spans.mjs')], { encoding: 'utf8' });
    const [ok, failed] = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      ok.events.map((e: { name: string }) => e.name),
      ['spawn', 'connected'],
    );
    assert.deepEqual(
      [ok.attributes['rsh.exit_code'], ok.attributes['rsh.bytes_sent'], ok.attributes['rsh.bytes_received'], ok.status],
      [0, 6, 6, 'unset'],
    );
    assert.deepEqual(
      failed.events.map((e: { name: string }) => e.name),
      ['spawn'],
    );
    assert.deepEqual([failed.attributes['rsh.exit_code'], failed.status], [3, 'remote-command-failed']);
  });

  it('examples/capture-demo.mjs: the core alone overflows its small ring and says so', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'examples/capture-demo.mjs')], { encoding: 'utf8' });
    assert.match(out, /\[\.\.\. \d+ bytes of stderr omitted \.\.\.\]/);
    assert.match(out, /100% {2}1\.4MB\/s\nPermission denied \(publickey\)\.\n/);
  });
});
