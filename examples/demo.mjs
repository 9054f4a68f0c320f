#!/usr/bin/env node
// The main demo, no ssh server needed: a chatty stand-in remote shell carries a small
// request/response exchange through the tunnel, then the far end fails on purpose. Shown:
// the stderr lines as they were forwarded, the stats, and the error: its reason, the line that
// says why (found among ssh's debug chatter), a hint, and the snapshot. It needs no shell: the
// stand-in runs the server under Node (its `node:` marker). A remote shell that fails before the
// exchange ends the demo with its reason (try STAND_IN_SSH_FAIL='Connection refused').
//
//   npm run demo

import { fileURLToPath } from 'node:url';
import { openRemoteShell, RemoteShellError } from 'rsh-transport';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

const shell = openRemoteShell({
  host: 'demo.invalid',
  user: 'alice',
  rsh: [process.execPath, here('./stand-in-ssh.mjs'), '-vv'], // stands in for ssh -vv
  command: ['node:', here('./version-server.mjs')], // the stand-in runs it under Node, with no shell
  stderr: (line, { kind }) => console.log(`  stderr ${kind.padEnd(8)}| ${line}`),
});
console.log(`spawned: ${shell.argv.join(' ')}\n`);

const replies = [];
shell.stream.on('data', (chunk) => replies.push(chunk));
// The first `bytes` bytes of the replies, once they are in; or the reason they never will be:
// the remote shell finished first (it failed, or it ended without a word).
const received = (bytes) =>
  Promise.race([
    new Promise((resolve) => {
      const check = () => {
        if (Buffer.concat(replies).length < bytes) return;
        shell.stream.off('data', check);
        resolve(Buffer.concat(replies));
      };
      shell.stream.on('data', check);
      check();
    }),
    shell.finished.then(() => {
      throw new Error(`the remote shell finished before sending ${bytes} bytes`);
    }),
  ]);

try {
  const version = Buffer.alloc(4);
  version.writeUInt32LE(31);
  shell.stream.write(version);
  const greeting = await received(4);
  console.log(`\nprotocol: sent 31, the server speaks ${greeting.readUInt32LE(0)}`);

  shell.stream.write('PING 1\nPING 2\n');
  const pongs = await received(4 + 14);
  console.log(`exchange: ${JSON.stringify(pongs.subarray(4).toString())}\n`);
} catch (err) {
  console.error(`\ndemo: no exchange: ${err.message}`);
  process.exit(1);
}

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
