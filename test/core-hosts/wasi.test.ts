// build/core-wasi.wasm, the core as a WASI command (assembly/wasi.ts), under node:wasi: every
// vector (`--vec` mode) must give byte for byte what build/core.wasm gives in Node, and the
// plain filter mode the records of the whole input framed at once.
//
// The runs happen in a child Node process (test/core-hosts/wasi-run.mjs), which collects garbage as it
// goes: hundreds of WASI instances without a collection crash Node 20 with SIGSEGV, and in the
// test process itself that took the whole suite down (see the runner's header).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wasm, type WasmModule } from '../../host/core/abi.js';
import { parseVector, type Vector } from '../vectors/format.js';
import { runOnWasm } from '../vectors/run-wasm.js';
import { corpus, firstDifference } from './corpus.js';
import { ROOT } from './native-build.js';

const WASI_WASM = path.join(ROOT, 'build/core-wasi.wasm');
const RUNNER = path.join(ROOT, 'test/core-hosts/wasi-run.mjs');

/** Builds build/core-wasi.wasm when it is missing or older than a source of the core. */
function buildWasi(): void {
  const sources = [
    ...readdirSync(path.join(ROOT, 'assembly')).map((f) => path.join(ROOT, 'assembly', f)),
    path.join(ROOT, 'asconfig.wasi.json'),
  ];
  const newest = Math.max(...sources.map((p) => statSync(p).mtimeMs));
  if (existsSync(WASI_WASM) && statSync(WASI_WASM).mtimeMs >= newest) return;
  const result = spawnSync(
    process.execPath,
    ['node_modules/assemblyscript/bin/asc.js', 'assembly/wasi.ts', '--config', 'asconfig.wasi.json', '--target', 'release'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`npm run build:wasi failed:\n${result.stderr}${result.stdout}`);
}

describe('the core as a WASI command (node:wasi)', function () {
  this.timeout(300_000);
  let module: WasmModule;
  let scratch: string;

  before(() => {
    buildWasi();
    module = new Wasm.Module(readFileSync(WASI_WASM));
    scratch = mkdtempSync(path.join(tmpdir(), 'core-wasi-'));
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  interface Run {
    code: number;
    stdout: string;
    stderr: string;
  }

  /** Runs the command once per job, each with a file as stdin, in one child process. */
  function runAll(jobs: { args: string[]; stdin: string }[]): Run[] {
    const plan = jobs.map((job, i) => ({ ...job, stdout: path.join(scratch, `out-${i}`), stderr: path.join(scratch, `err-${i}`) }));
    const planPath = path.join(scratch, 'plan.json');
    writeFileSync(planPath, JSON.stringify({ wasm: WASI_WASM, runs: plan }));
    const child = spawnSync(process.execPath, ['--expose-gc', '--no-warnings', RUNNER, planPath], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`the WASI runner failed (status ${child.status}, signal ${child.signal}):\n${child.stderr}`);
    const codes = JSON.parse(child.stdout) as number[];
    return plan.map((job, i) => ({ code: codes[i], stdout: readFileSync(job.stdout, 'utf8'), stderr: readFileSync(job.stderr, 'utf8') }));
  }

  const run = (args: string[], stdin: string): Run => runAll([{ args, stdin }])[0];

  it("imports nothing but WASI preview 1, and has no allocator to hand out the core's memory", () => {
    const api = (globalThis as unknown as { WebAssembly: { Module: { imports(m: unknown): { module: string }[] } } }).WebAssembly;
    const modules = new Set(api.Module.imports(module).map((i) => i.module));
    assert.deepEqual([...modules], ['wasi_snapshot_preview1']);
    const text = readFileSync(WASI_WASM.replace(/\.wasm$/, '.wat'), 'utf8');
    assert.doesNotMatch(text, /\(func \$~lib\/rt\//, 'assembly/wasi.ts must not allocate (see its header)');
  });

  it('gives every vector byte for byte as build/core.wasm does in Node', () => {
    const entries = corpus();
    const runs = runAll(entries.map(({ vecPath }) => ({ args: ['--vec'], stdin: vecPath })));
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
    const runs = runAll(inputs.map((stdin) => ({ args: [], stdin })));
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
    assert.deepEqual(run(['--vec'], input), { code: 1, stdout: '', stderr: 'core-wasi: bad hex on line 2\n' });
    writeFileSync(input, 'write 61\n');
    assert.deepEqual(run(['--vec'], input), { code: 1, stdout: '', stderr: 'core-wasi: geometry must come first, line 1\n' });
    writeFileSync(input, 'geometry 3 0 64 16 4\n');
    assert.deepEqual(run(['--vec'], input), { code: 2, stdout: '', stderr: 'core-wasi: init -8\n' });
  });
});
