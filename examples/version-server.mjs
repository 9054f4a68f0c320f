#!/usr/bin/env node
// A small protocol server to run at the far end of the demo's tunnel, speaking the way rsync's
// server starts: the client sends its protocol version as a 4-byte little-endian integer, the
// server answers with its own; then lines "PING n" get "PONG n" back. Chatty on stderr, and on
// "FAIL" it fails on purpose with an rsync-like error and exit status 23.

const PROTOCOL = 32;
let buffered = Buffer.alloc(0);
let greeted = false;

process.stderr.write('server: MOTD: this is a demo host; all activity is imaginary\n');
process.stdin.on('data', (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  if (!greeted) {
    if (buffered.length < 4) return;
    const theirs = buffered.readUInt32LE(0);
    buffered = buffered.subarray(4);
    greeted = true;
    process.stderr.write(`server: client speaks protocol ${theirs}, agreeing on ${Math.min(theirs, PROTOCOL)}\n`);
    const mine = Buffer.alloc(4);
    mine.writeUInt32LE(PROTOCOL);
    process.stdout.write(mine);
  }
  let newline;
  while ((newline = buffered.indexOf(0x0a)) !== -1) {
    const line = buffered.subarray(0, newline).toString();
    buffered = buffered.subarray(newline + 1);
    if (line.startsWith('PING ')) {
      process.stdout.write(`PONG ${line.slice(5)}\n`);
    } else if (line === 'FAIL') {
      for (let p = 0; p <= 100; p += 25) process.stderr.write(`${p ? '\r' : ''}server: scanning /srv/data ${String(p).padStart(3)}%`);
      process.stderr.write('\n');
      process.stderr.write('rsync: [sender] change_dir "/srv/data/photos" failed: Permission denied (13)\n');
      process.stderr.write(
        'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.5.0]\n',
      );
      process.exit(23);
    }
  }
});
process.stdin.on('end', () => process.exit(0));
