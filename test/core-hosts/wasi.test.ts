// The core as WASI commands under node:wasi. The published filter, build/core-wasi.wasm
// (assembly/wasi/filter.ts), must give the records of the whole input framed at once; the tests'
// vector interpreter, build/test/core-wasi-vec.wasm (test/core-hosts/wasi-vector/), every vector
// byte for byte as build/core.wasm gives it in Node.
//
// The runs happen in a child Node process (test/core-hosts/wasi-run.mjs), which collects garbage as it
// goes: hundreds of WASI instances without a collection crash Node 20 with SIGSEGV, and in the
// test process itself that took the whole suite down (see the runner's header).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wasm } from '../../host/core/abi.js';
import { parseVector, type Vector } from '../vectors/format.js';
import { runOnWasm } from '../vectors/run-wasm.js';
import { corpus, firstDifference } from './corpus.js';
import { ROOT } from './native-build.js';
import { scaled } from '../helpers/promises.js';

const WASI_WASM = path.join(ROOT, 'build/core-wasi.wasm');
const VECTOR_WASM = path.join(ROOT, 'build/test/core-wasi-vec.wasm');
const VECTOR_CONFIG = 'test/core-hosts/wasi-vector/asconfig.json';
const RUNNER = path.join(ROOT, 'test/core-hosts/wasi-run.mjs');

const ASC = 'node_modules/assemblyscript/bin/asc.js';

/** Builds a WASI command when it is missing or older than a source of the core or of itself. */
function buildWhenStale(wasm: string, config: string, sourceDir: string): void {
  const sources = [
    ...readdirSync(path.join(ROOT, 'assembly'), { recursive: true, encoding: 'utf8' }).map((f) => path.join(ROOT, 'assembly', f)),
    ...readdirSync(path.join(ROOT, sourceDir)).map((f) => path.join(ROOT, sourceDir, f)),
    path.join(ROOT, config),
  ];
  const newest = Math.max(...sources.map((p) => statSync(p).mtimeMs));
  if (existsSync(wasm) && statSync(wasm).mtimeMs >= newest) return;
  const result = spawnSync(process.execPath, [ASC, '--config', config, '--target', 'release'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building ${path.relative(ROOT, wasm)} failed:\n${result.stderr}${result.stdout}`);
}

describe('the core as a WASI command (node:wasi)', function () {
  this.timeout(scaled(300_000));
  let scratch: string;

  before(() => {
    buildWhenStale(WASI_WASM, 'asconfig.wasi.json', 'assembly/wasi');
    buildWhenStale(VECTOR_WASM, VECTOR_CONFIG, path.dirname(VECTOR_CONFIG));
    scratch = mkdtempSync(path.join(tmpdir(), 'core-wasi-'));
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  interface Run {
    code: number;
    stdout: string;
    stderr: string;
  }

  /** Runs a command once per job, each with a file as stdin, in one child process. */
  function runAll(wasm: string, jobs: { args: string[]; stdin: string }[]): Run[] {
    const plan = jobs.map((job, i) => ({ ...job, stdout: path.join(scratch, `out-${i}`), stderr: path.join(scratch, `err-${i}`) }));
    const planPath = path.join(scratch, 'plan.json');
    writeFileSync(planPath, JSON.stringify({ wasm, runs: plan }));
    const child = spawnSync(process.execPath, ['--expose-gc', '--no-warnings', RUNNER, planPath], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`the WASI runner failed (status ${child.status}, signal ${child.signal}):\n${child.stderr}`);
    const codes = JSON.parse(child.stdout) as number[];
    return plan.map((job, i) => ({ code: codes[i], stdout: readFileSync(job.stdout, 'utf8'), stderr: readFileSync(job.stderr, 'utf8') }));
  }

  const run = (wasm: string, args: string[], stdin: string): Run => runAll(wasm, [{ args, stdin }])[0];

  for (const [name, wasm] of [
    ['the filter', WASI_WASM],
    ['the vector interpreter', VECTOR_WASM],
  ]) {
    it(`${name} imports nothing but WASI preview 1, and has no allocator to hand out the core's memory`, () => {
      const modules = new Set(WebAssembly.Module.imports(new Wasm.Module(readFileSync(wasm))).map((i) => i.module));
      assert.deepEqual([...modules], ['wasi_snapshot_preview1']);
      const text = readFileSync(wasm.replace(/\.wasm$/, '.wat'), 'utf8');
      assert.doesNotMatch(text, /\(func \$~lib\/rt\//, `${path.relative(ROOT, wasm)} must not allocate (see assembly/wasi/output.ts)`);
    });
  }

  it('the published filter holds no vector interpreter, and takes no arguments', () => {
    const text = readFileSync(WASI_WASM.replace(/\.wasm$/, '.wat'), 'utf8');
    assert.match(text, /\(func \$assembly\/wasi\/filter\//);
    assert.doesNotMatch(text, /\(func \$test\//);
    const utf16 = (word: string) => [...word].map((c) => `${c}\\00`).join('');
    assert.ok(!text.includes(utf16('geometry')), "the filter holds the vector format's words");
    assert.ok(readFileSync(VECTOR_WASM.replace(/\.wasm$/, '.wat'), 'utf8').includes(utf16('geometry')));
    const input = path.join(scratch, 'empty');
    writeFileSync(input, '');
    const refused = run(WASI_WASM, ['--vec'], input);
    assert.deepEqual(refused, { code: 1, stdout: '', stderr: 'core-wasi: takes no arguments (stderr bytes on stdin), arguments: 1\n' });
  });

  it('gives every vector byte for byte as build/core.wasm does in Node', () => {
    const entries = corpus();
    const runs = runAll(
      VECTOR_WASM,
      entries.map(({ vecPath }) => ({ args: [], stdin: vecPath })),
    );
    for (const [i, { name, vec }] of entries.entries()) {
      const { code, stdout } = runs[i];
      assert.equal(code, 0, `${name}: exit ${code}`);
      const node = runOnWasm(parseVector(vec));
      assert.ok(stdout === node, `${name}: WASI differs from Node: ${firstDifference(stdout, node)}`);
    }
  });

  it('filters raw stderr bytes: framed lines, then the snapshot and totals at end of input', () => {
    const entries = corpus().filter((e) => e.name.startsWith('rule-'));
    const inputs = entries.map(({ vec }, i) => {
      const input = path.join(scratch, `stdin-${i}`);
      writeFileSync(input, Buffer.concat(parseVector(vec).commands.flatMap((c) => (c.op === 'write' ? [c.bytes] : []))));
      return input;
    });
    const runs = runAll(
      WASI_WASM,
      inputs.map((stdin) => ({ args: [], stdin })),
    );
    for (const [i, { name }] of entries.entries()) {
      const bytes = readFileSync(inputs[i]);
      const whole: Vector = {
        geometry: { ringLog2: 16, headSize: 4096, stagingSize: 262144, lineMax: 4096, framesMax: 256 },
        commands: [{ op: 'write', bytes }, { op: 'end' }, { op: 'snapshot' }, { op: 'stats' }],
      };
      const { code, stdout } = runs[i];
      assert.equal(code, 0, `${name}: exit ${code}`);
      const node = runOnWasm(whole);
      assert.ok(stdout === node, `${name}: ${firstDifference(stdout, node)}`);
    }
  });

  it('refuses a malformed vector (exit 1) and reports a core error (exit 2) on stderr', () => {
    const input = path.join(scratch, 'bad.vec');
    writeFileSync(input, 'geometry 8 0 64 16 4\nwrite 6g\n');
    assert.deepEqual(run(VECTOR_WASM, [], input), { code: 1, stdout: '', stderr: 'core-wasi: bad hex on line 2\n' });
    writeFileSync(input, 'write 61\n');
    assert.deepEqual(run(VECTOR_WASM, [], input), { code: 1, stdout: '', stderr: 'core-wasi: geometry must come first, line 1\n' });
    writeFileSync(input, 'geometry 3 0 64 16 4\n');
    assert.deepEqual(run(VECTOR_WASM, [], input), { code: 2, stdout: '', stderr: 'core-wasi: init -8\n' });
  });
});
