// What an askpass callback is asked: ssh's prompt, made terminal-safe (a keyboard-interactive
// prompt is the server's text), and what kind of answer it wants.

import { terminalSafe } from '../terminal-safe.js';

export type AskpassKind = 'passphrase' | 'password' | 'host-key' | 'other';

export interface AskpassRequest {
  /** ssh's prompt, e.g. `Enter passphrase for key '/home/alice/.ssh/id_ed25519': `. */
  readonly prompt: string;
  /** The prompt is the server's own text (keyboard-interactive, which ssh shows as
   * `(user@host) text`): whatever it says, the answer goes to the server. Such a prompt is
   * never of kind 'passphrase' or 'host-key', so that a server cannot pass for ssh asking for a
   * local key's passphrase. */
  readonly fromServer: boolean;
  /** What the prompt asks for: a key's passphrase, a password (also keyboard-interactive's
   * `Password:`), whether to trust an unknown host key (answer `yes`, `no` or the fingerprint),
   * or something else (a one-time code, a confirmation). */
  readonly kind: AskpassKind;
  /** What ssh does with the answer (its SSH_ASKPASS_PROMPT): 'answer' (the text is used),
   * 'confirm' (only whether a string or null came back counts: a yes or no, such as ssh-agent's
   * confirmation of a key's use), or 'notice' (nothing is awaited: ssh shows a message, such as
   * "Confirm user presence" for a FIDO key, and ends the helper itself). */
  readonly expects: 'answer' | 'confirm' | 'notice';
}

/** Answers the prompt: the text (one line), or null to cancel it. A callback that throws, or
 * answers with anything else, cancels too, and its failure becomes the run's error's `cause`. */
export type AskpassCallback = (request: AskpassRequest) => string | null | Promise<string | null>;

// How ssh shows a keyboard-interactive prompt (sshconnect2.c: "(%s@%s) %s").
const SERVER_PROMPT = /^\([^()\s]*@[^()\s]*\) /;

/** Whether the prompt is the server's (keyboard-interactive). */
export function fromServer(prompt: string): boolean {
  return SERVER_PROMPT.test(prompt);
}

/** The kind of ssh's prompt (OpenSSH 9.2's wording). */
export function promptKind(prompt: string): AskpassKind {
  if (fromServer(prompt)) return /password/i.test(prompt) ? 'password' : 'other';
  if (/authenticity of host|continue connecting|host key/i.test(prompt)) return 'host-key';
  if (/passphrase/i.test(prompt)) return 'passphrase';
  if (/password/i.test(prompt)) return 'password';
  return 'other';
}

export function askpassRequest(prompt: string, askpassPrompt = ''): AskpassRequest {
  const expects = askpassPrompt === 'confirm' ? 'confirm' : askpassPrompt === 'none' ? 'notice' : 'answer';
  const kind = expects === 'answer' ? promptKind(prompt) : 'other';
  return Object.freeze({ prompt: terminalSafe(prompt), kind, fromServer: fromServer(prompt), expects });
}
