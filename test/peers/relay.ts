// A TCP relay on 127.0.0.1: another port for the suite's sshd, which can start listening late.

import { createConnection, createServer, type Server } from 'node:net';

/** From `port` on, a relay to the sshd at `target`. */
export function relay(port: number, target: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
