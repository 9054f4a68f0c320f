// The stand-in remote shell (examples/stand-in-ssh.mjs): it runs an ordinary command with a real
// local `sh -c`, as sshd does, and one that starts with `node:` under Node, with no shell. The
// remote programs (remote-programs.mjs, beside this file) do in Node what the tests once did
// with shell one-liners, so that a test needs no shell unless the shell is what it tests.

import path from 'node:path';
import { openRemoteShell, type OpenRemoteShellOptions, type RemoteShell } from '../../host/index.js';
import { ROOT } from './root.js';

export const STAND_IN = path.join(ROOT, 'examples/stand-in-ssh.mjs');
export const REMOTE_PROGRAMS = path.join(ROOT, 'test/helpers/remote-programs.mjs');

/** The stand-in as rsh words. */
export const standIn = (...options: string[]): string[] => [process.execPath, STAND_IN, ...options];

type Step = string | number;

/** A remote command (words, for `command`) that the stand-in runs under Node: the remote
 * programs with `steps` (see remote-programs.mjs), e.g. `remoteProgram('out', 'hi\n', 'exit', 3)`. */
export const remoteProgram = (...steps: Step[]): string[] => ['node:', REMOTE_PROGRAMS, ...steps.map(String)];

/** The remote programs standing as the remote shell themselves, for a test that needs the child
 * to be the program (a signal reaches it alone; its pid and its exit are the remote shell's). The
 * host and command that the transport adds after these words come after `--`, and are ignored. */
export const programAsRsh = (...steps: Step[]): string[] => [process.execPath, REMOTE_PROGRAMS, ...steps.map(String), '--'];

/** The remote programs as a remote shell that fails as a refused ssh connection (255 and ssh's
 * message) for its first `failures` runs, counted in the file `counter`, then says `reached`;
 * `before` runs before each failure. */
export const refusedAtFirst = (counter: string, failures: number, before: Step[] = []): string[] =>
  programAsRsh(
    'first-runs',
    counter,
    failures,
    '[',
    ...before,
    'err',
    'ssh: connect to host local port 22: Connection refused\n',
    'exit',
    255,
    ']',
    'out',
    'reached\n',
  );

/** A remote shell on the stand-in running `command` (remoteProgram(...) mostly), its stderr
 * captured: what most tests open. `options` adds to that or overrides it. */
export function openOnStandIn(
  command: OpenRemoteShellOptions['command'],
  options: Partial<OpenRemoteShellOptions> & { [key: symbol]: unknown } = {},
): RemoteShell {
  return openRemoteShell({ host: 'local', rsh: standIn(), command, stderr: 'capture', ...options });
}
