// The core alone: a chatty stderr stream framed into lines, kept in a bounded ring, and
// summed up in a snapshot. Run with `node examples/capture-demo.mjs`.
import { StderrCapture } from 'rsh-transport/core';

const capture = new StderrCapture({
  capacity: 1024, // a small ring, so that the demo overflows it
  headSize: 128,
  onLine: (line) => console.log(`  ${line.kind.padEnd(8)} ${JSON.stringify(line.text)}`),
});

const chunks = [
  'OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024\r\n',
  'debug1: Connecting to backup.example.org port 22.\n',
  ...Array.from({ length: 40 }, (_, i) => `debug2: channel ${i}: rcvd adjust 65536\n`),
  'sending incremental file list\n',
  ...Array.from({ length: 5 }, (_, i) => `\r   ${(i + 1) * 20}%  1.${i}MB/s`),
  '\nPermission denied (publickey).\n',
];
console.log('lines as they arrive (split across writes on purpose):');
for (const chunk of chunks) {
  const bytes = new TextEncoder().encode(chunk);
  capture.write(bytes.subarray(0, 7));
  capture.write(bytes.subarray(7));
}
capture.end();

const snapshot = capture.snapshot();
console.log('\nstats:', capture.stats);
console.log(`\nsnapshot (${snapshot.omittedBytes} bytes omitted between head and tail):`);
console.log(snapshot.text);
capture.close();
