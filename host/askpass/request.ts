// What an askpass callback is asked: ssh's prompt, made terminal-safe (a keyboard-interactive
// prompt is the server's text), and what kind of answer it wants.

import { terminalSafe } from '../terminal-safe.js';

export type AskpassKind = 'passphrase' | 'password' | 'host-key' | 'other';

export interface AskpassRequest {
  /** ssh's prompt, e.g. `Enter passphrase for key '/home/alice/.ssh/id_ed25519': `. */
  readonly prompt: string;
  /** What the prompt asks for: a key's passphrase, a password (also keyboard-interactive's
   * `Password:`), whether to trust an unknown host key (answer `yes`, `no` or the fingerprint),
   * or something else (a one-time code, a confirmation). */
  readonly kind: AskpassKind;
}

/** Answers the prompt: the text (one line), or null to cancel it. A callback that throws, or
 * answers with anything else, cancels too, and its failure becomes the run's error's `cause`. */
export type AskpassCallback = (request: AskpassRequest) => string | null | Promise<string | null>;

/** The kind of ssh's prompt (OpenSSH 9.2's wording). */
export function promptKind(prompt: string): AskpassKind {
  if (/authenticity of host|continue connecting|host key/i.test(prompt)) return 'host-key';
  if (/passphrase/i.test(prompt)) return 'passphrase';
  if (/password/i.test(prompt)) return 'password';
  return 'other';
}

export function askpassRequest(prompt: string): AskpassRequest {
  return Object.freeze({ prompt: terminalSafe(prompt), kind: promptKind(prompt) });
}
