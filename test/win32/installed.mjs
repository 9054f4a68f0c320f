// What node.exe checks under Wine in a project that installed the packed package with npm (run by
// scripts/test-win32.mjs, which makes the project, with this file, report.mjs, the stand-in
// remote shell and its remote programs at its root): the library from node_modules with the
// prebuilt win32 addon, nothing built there; and the command through the .cmd shim npm made.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openRemoteShell } from 'rsh-transport';
import { runCases, test } from './report.mjs';

const PACKAGE = path.resolve('node_modules/rsh-transport');
const SHIM = path.resolve('node_modules/.bin/rsh-transport.cmd');
// npm's shim ends with `endLocal & goto #_undefined_# 2>NUL || title %COMSPEC% & "%_prog%" ...`:
// on Windows the failed goto leaves the batch file (no "Terminate batch job?" prompt) and the
// line goes on; Wine 8's cmd.exe drops the rest of the line instead, running nothing. So the
// command runs here through a copy of the shim without that guard, beside it, the rest as npm
// wrote it.
const GUARD = 'endLocal & goto #_undefined_# 2>NUL || title %COMSPEC% & ';
const WINE_SHIM = path.resolve('node_modules/.bin/rsh-transport-under-wine.cmd');
// node.exe's path quoted, as rsh words are split at blanks (with no backslash processing).
const RSH = `'${process.execPath}' stand-in-ssh.mjs`;
const remote = (...steps) => ['node:', 'remote-programs.mjs', ...steps.map(String)];

// The command through npm's shim, as a Windows caller runs it: cmd.exe reads the .cmd file.
function command(args, input = '') {
  // Plain words only: cmd.exe gives meaning to more characters than quotes can hide.
  for (const word of args) assert.doesNotMatch(word, /["%^&|<>()]/, `cmd.exe would read ${word} its own way`);
  const line = [WINE_SHIM, ...args].map((word) => (/[\s"]/.test(word) ? `"${word}"` : word)).join(' ');
  const child = spawn(process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', `"${line}"`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsVerbatimArguments: true,
    windowsHide: true,
  });
  const out = [];
  const err = [];
  child.stdout.on('data', (chunk) => out.push(chunk));
  child.stderr.on('data', (chunk) => err.push(chunk));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

test('npm unpacked the package and built nothing: the prebuilt addon is all there is', () => {
  assert.ok(existsSync(path.join(PACKAGE, 'prebuilds/win32-x64/node.napi.node')));
  assert.ok(!existsSync(path.join(PACKAGE, 'build/Release')), 'no addon was built at install');
});

test("npm's .cmd shim runs node.exe on the command's file, which preinstall began with Node's line", () => {
  const shim = readFileSync(SHIM, 'utf8');
  assert.match(shim, /SET "_prog=node"/);
  assert.doesNotMatch(shim, /\bsh\b/);
  assert.equal(readFileSync(path.join(PACKAGE, 'bin/rsh-transport.js'), 'utf8').split('\n')[0], '#!/usr/bin/env node');
  assert.equal(shim.split(GUARD).length, 2, 'the guard is where npm puts it');
  writeFileSync(WINE_SHIM, shim.replace(GUARD, ''));
});

test("openRemoteShell from node_modules: the addon's pipe, bytes both ways, stderr lines", async () => {
  const lines = [];
  const shell = openRemoteShell({
    host: 'local',
    rsh: [process.execPath, 'stand-in-ssh.mjs'],
    command: remote('err-lines', 1, 3, 'cat'),
    stderr: (line) => lines.push(line),
  });
  const out = [];
  shell.stream.on('data', (chunk) => out.push(chunk));
  shell.stream.end('through the remote shell\n');
  await shell.finished;
  assert.equal(Buffer.concat(out).toString(), 'through the remote shell\n');
  assert.deepEqual(lines, ['1', '2', '3']);
  assert.equal(shell.stderr.stats.backend, 'pipe');
});

test('the command through the .cmd shim npm made: runs node.exe, says it uses the prebuilt addon', async () => {
  const { status, stdout } = await command(['--version']);
  assert.equal(status, 0);
  assert.match(stdout, /^rsh-transport \S+ \(stderr endpoint: pipe; prebuilt addon; command: Node\)\n$/);
});

test('the command: stdin and stdout reach the remote command, its stderr is forwarded, status 0', async () => {
  const { status, stdout, stderr } = await command([`--rsh=${RSH}`, 'local', ...remote('err-lines', 1, 2, 'cat')], 'input\n');
  assert.equal(stdout, 'input\n');
  assert.equal(stderr.replace(/\r/g, ''), '1\n2\n');
  assert.equal(status, 0);
});

test("the command: a failing remote command's status and its line, said once; with nothing said, the command's own line", async () => {
  // The remote command is one string, as ssh sends it: a step's text with blanks is quoted.
  const told = await command([`--rsh=${RSH}`, 'local', ...remote('err', "'error: disk full'", 'exit', 3)]);
  assert.equal(told.status, 3, told.stderr);
  assert.match(told.stderr, /^error: disk full(\r?\n)?$/);
  const last = await command([`--rsh=${RSH}`, 'local', ...remote('err-lines', 7, 7, 'exit', 3)]);
  assert.match(last.stderr, /^7\r?\nrsh-transport: the remote command failed with exit code 3\r?\n$/);
  const silent = await command([`--rsh=${RSH}`, 'local', ...remote('exit', 3)]);
  assert.equal(silent.status, 3);
  assert.match(silent.stderr, /^rsh-transport: the remote command failed with exit code 3\r?\n$/);
});

await runCases();
