#!/usr/bin/env node
// The main demo, no ssh server needed: a chatty stand-in remote shell carries a small
// request/response exchange through the tunnel, then the far end fails on purpose. Shown:
// the stderr lines as they were forwarded, the stats, and the error: its reason, the line that
// says why (found among ssh's debug chatter), a hint, and the snapshot.
//
//   npm run demo

import { fileURLToPath } from 'node:url';
import { openRemoteShell, RemoteShellError } from 'rsh-transport';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

const shell = openRemoteShell({
  host: 'demo.invalid',
  user: 'alice',
  rsh: ['node', here('./stand-in-ssh.mjs'), '-vv'], // stands in for ssh -vv
  command: ['node', here('./version-server.mjs')],
  stderr: (line, { kind }) => console.log(`  stderr ${kind.padEnd(8)}| ${line}`),
});
console.log(`spawned: ${shell.argv.join(' ')}\n`);

const replies = [];
shell.stream.on('data', (chunk) => replies.push(chunk));
const received = (bytes) =>
  new Promise((resolve) => {
    const check = () => (Buffer.concat(replies).length >= bytes ? resolve(Buffer.concat(replies)) : setTimeout(check, 5));
    check();
  });

const version = Buffer.alloc(4);
version.writeUInt32LE(31);
shell.stream.write(version);
const greeting = await received(4);
console.log(`\nprotocol: sent 31, the server speaks ${greeting.readUInt32LE(0)}`);

shell.stream.write('PING 1\nPING 2\n');
const pongs = await received(4 + 14);
console.log(`exchange: ${JSON.stringify(pongs.subarray(4).toString())}\n`);

shell.stream.write('FAIL\n');
try {
  await shell.finished;
} catch (err) {
  if (!(err instanceof RemoteShellError)) throw err;
  console.log('\nthe transport raised RemoteShellError:');
  console.log(`  message:       ${err.message.split('\n').join('\n                 ')}`);
  console.log(`  reason:        ${err.reason}`);
  console.log(`  tellingLines:  ${err.tellingLines.join('\n                 ')}`);
  console.log(`  hint:          ${err.hint}`);
  console.log(`  code:          ${err.code}`);
  console.log(`  exitCode:      ${err.exitCode}`);
  console.log(`  bytesReceived: ${err.bytesReceived}`);
  console.log('  stderrTail:    (the snapshot: progress collapsed to its last state)');
  for (const line of err.stderrTail.trimEnd().split('\n')) console.log(`    ${line}`);
}
console.log('\nstderr stats:', shell.stderr.stats);
