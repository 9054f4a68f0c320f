// One scale measurement in a fresh process: N remote shells open at once (each chatty on
// stderr and echoing a payload), through rsh-transport or Node's child_process with piped
// stdio; prints the RSS growth per open one as JSON.

import { spawn } from 'node:child_process';
import { openRemoteShell, raiseOpenFileLimit } from '../host/index.js';

const [mode, count] = [process.argv[2], Number(process.argv[3])];
const CHATTY_ECHO = ['sh', '-c', 'i=0; while [ $i -lt 20 ]; do echo "shell $$ says line $i" >&2; i=$((i+1)); done; exec cat', 'sh'];

raiseOpenFileLimit();
// Warm up: the first spawn and the first capture set up what every later one shares.
await openRemoteShell({ host: 'warm', rsh: CHATTY_ECHO, stderr: 'capture' }).close();
await new Promise<void>((resolve) => spawn('true').on('close', () => resolve()));
(globalThis as { gc?: () => void }).gc?.();
const before = process.memoryUsage().rss;

const open = Array.from({ length: count }, (_, i) => {
  const payload = Buffer.from(`transport ${i} `.repeat(300));
  let bytes = 0;
  if (mode === 'transport') {
    const shell = openRemoteShell({ host: `h${i}`, rsh: CHATTY_ECHO, stderr: 'capture' });
    const echoed = new Promise<void>((resolve) =>
      shell.stream.on('data', (c: Buffer) => ((bytes += c.length) >= payload.length ? resolve() : undefined)),
    );
    shell.stream.write(payload);
    return { end: () => shell.stream.end(), done: shell.finished.then(() => bytes), echoed };
  }
  const child = spawn(CHATTY_ECHO[0], [...CHATTY_ECHO.slice(1), `h${i}`], { stdio: 'pipe' });
  child.stderr.resume();
  const echoed = new Promise<void>((resolve) =>
    child.stdout.on('data', (c: Buffer) => ((bytes += c.length) >= payload.length ? resolve() : undefined)),
  );
  child.stdin.write(payload);
  return { end: () => child.stdin.end(), done: new Promise<number>((resolve) => child.on('close', () => resolve(bytes))), echoed };
});
await Promise.all(open.map((o) => o.echoed));
(globalThis as { gc?: () => void }).gc?.();
const during = process.memoryUsage().rss;
for (const o of open) o.end();
const received = await Promise.all(open.map((o) => o.done));
if (received.some((bytes, i) => bytes !== Buffer.byteLength(`transport ${i} `.repeat(300)))) throw new Error('a payload came back short');
console.log(JSON.stringify({ rssPerOpenKiB: (during - before) / count / 1024 }));
