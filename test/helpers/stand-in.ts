// The stand-in remote shell (examples/stand-in-ssh.mjs): it runs the command with a real local
// `sh -c`, so the transport can be tested without an ssh server.

import path from 'node:path';
import { ROOT } from './root.js';

export const STAND_IN = path.join(ROOT, 'examples/stand-in-ssh.mjs');

/** The stand-in as rsh words. */
export const standIn = (...options: string[]): string[] => [process.execPath, STAND_IN, ...options];
