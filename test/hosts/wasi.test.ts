// build/core-wasi.wasm, the core as a WASI command (assembly/wasi.ts), under node:wasi: every
// vector (`--vec` mode) must give byte for byte what build/core.wasm gives in Node, and the
// plain filter mode the records of the whole input framed at once.
//
// node:wasi is experimental and says so once per process; only this test imports it, never
// the library, and it keeps that one warning quiet.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WASI as WasiClass } from 'node:wasi';
import { Wasm, type WasmModule } from '../../host/core/abi.js';
import { parseVector, type Vector } from '../vectors/format.js';
import { runOnWasm } from '../vectors/run-wasm.js';
import { corpus, firstDifference } from './corpus.js';
import { ROOT } from './native-build.js';

const WASI_WASM = path.join(ROOT, 'build/core-wasi.wasm');

async function importWasi(): Promise<typeof WasiClass> {
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    if (/WASI/.test(String(warning))) return;
    return (emit as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return (await import('node:wasi')).WASI;
  } finally {
    process.emitWarning = emit;
  }
}

/** Builds build/core-wasi.wasm when it is missing or older than a source of the core. */
function buildWasi(): void {
  const sources = [...readdirSync(path.join(ROOT, 'assembly')).map((f) => path.join(ROOT, 'assembly', f)), path.join(ROOT, 'asconfig.wasi.json')];
  const newest = Math.max(...sources.map((p) => statSync(p).mtimeMs));
  if (existsSync(WASI_WASM) && statSync(WASI_WASM).mtimeMs >= newest) return;
  const result = spawnSync(process.execPath, ['node_modules/assemblyscript/bin/asc.js', 'assembly/wasi.ts',
    '--config', 'asconfig.wasi.json', '--target', 'release'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build:wasi failed:\n${result.stderr}${result.stdout}`);
}

describe('the core as a WASI command (node:wasi)', function () {
  this.timeout(300_000);
  let WASI: typeof WasiClass;
  let module: WasmModule;
  let scratch: string;

  before(async () => {
    buildWasi();
    WASI = await importWasi();
    module = new Wasm.Module(readFileSync(WASI_WASM));
    scratch = mkdtempSync(path.join(tmpdir(), 'core-wasi-'));
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs the command with a file as stdin; returns its exit code, stdout and stderr. */
  function run(args: string[], stdinPath: string): { code: number; stdout: string; stderr: string } {
    const outPath = path.join(scratch, 'stdout');
    const errPath = path.join(scratch, 'stderr');
    const fds = [openSync(stdinPath, 'r'), openSync(outPath, 'w'), openSync(errPath, 'w')];
    try {
      const [stdin, stdout, stderr] = fds;
      const wasi = new WASI({ version: 'preview1', args: ['core-wasi.wasm', ...args], stdin, stdout, stderr, returnOnExit: true });
      const instance = new Wasm.Instance(module, wasi.getImportObject() as object);
      const code = wasi.start(instance as Parameters<WasiClass['start']>[0]);
      return { code, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  }

  it('imports nothing but WASI preview 1, and has no allocator to hand out the core\'s memory', () => {
    const api = (globalThis as unknown as { WebAssembly: { Module: { imports(m: unknown): { module: string }[] } } }).WebAssembly;
    const modules = new Set(api.Module.imports(module).map((i) => i.module));
    assert.deepEqual([...modules], ['wasi_snapshot_preview1']);
    const text = readFileSync(WASI_WASM.replace(/\.wasm$/, '.wat'), 'utf8');
    assert.doesNotMatch(text, /\(func \$~lib\/rt\//, 'assembly/wasi.ts must not allocate (see its header)');
  });

  it('gives every vector byte for byte as build/core.wasm does in Node', () => {
    for (const { name, vecPath, vec } of corpus()) {
      const { code, stdout } = run(['--vec'], vecPath);
      assert.equal(code, 0, `${name}: exit ${code}`);
      const node = runOnWasm(parseVector(vec));
      assert.ok(stdout === node, `${name}: WASI differs from Node: ${firstDifference(stdout, node)}`);
    }
  });

  it('filters raw stderr bytes: framed lines, then the snapshot and totals at end of input', () => {
    const entries = corpus().filter((e) => e.name.startsWith('rule-'));
    for (const { name, vec } of entries) {
      const bytes = Buffer.concat(parseVector(vec).commands.flatMap((c) => (c.op === 'write' ? [c.bytes] : [])));
      const input = path.join(scratch, 'stdin');
      writeFileSync(input, bytes);
      const whole: Vector = {
        geometry: { ringLog2: 16, headSize: 4096, stagingSize: 262144, lineMax: 4096, framesMax: 256 },
        commands: [{ op: 'write', bytes }, { op: 'end' }, { op: 'snapshot' }, { op: 'stats' }],
      };
      const { code, stdout } = run([], input);
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
