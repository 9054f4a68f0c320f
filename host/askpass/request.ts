// What an askpass callback is asked: ssh's prompt, made terminal-safe (a keyboard-interactive
// prompt is the server's text), and what kind of answer it wants.
//
// The kind is read from what ssh itself prints, never from what a prompt happens to mention:
//
// - OpenSSH 8.5 and later show every keyboard-interactive prompt as `(user@host) text`
//   (sshconnect2.c, input_userauth_info_req: "(%s@%s) %s", the user, HostKeyAlias or the host,
//   then the server's text). A prompt that begins with "(" is therefore the server's, whatever
//   the user, the host or the text hold (blanks, parentheses, `@`, quotes, line breaks): the
//   prefix is not parsed, as no parsing of it could be sure where it ends. None of ssh's own
//   prompts begins with "(", bar a password prompt for a user whose name does, which is then
//   taken for the server's too (still of kind 'password').
// - 'passphrase' and 'host-key' are given only to ssh's own prompts, each matched whole (anchored
//   at both ends) against ssh's wording: see SSH_PROMPTS.
// - Any other prompt is 'password' if it says "password", else 'other'.
//
// OpenSSH before 8.5 shows a keyboard-interactive prompt as the server sent it, with no prefix:
// it cannot be told from ssh's own. Such a prompt has fromServer false, and one that copies
// ssh's wording exactly gets that prompt's kind.

import { terminalSafe } from '../terminal-safe.js';

export type AskpassKind = 'passphrase' | 'password' | 'host-key' | 'other';

export interface AskpassRequest {
  /** ssh's prompt, e.g. `Enter passphrase for key '/home/alice/.ssh/id_ed25519': `. */
  readonly prompt: string;
  /** The prompt is the server's own text (keyboard-interactive, which ssh shows as
   * `(user@host) text`): whatever it says, the answer goes to the server. True exactly when the
   * prompt begins with "(", whatever the user and host in it hold; such a prompt is never of
   * kind 'passphrase' or 'host-key', so that a server cannot pass for ssh asking for a local
   * key's passphrase. OpenSSH before 8.5 shows a server's prompt without the prefix: it is then
   * false for it, as such a prompt cannot be told from ssh's own. */
  readonly fromServer: boolean;
  /** What the prompt asks for: a key's passphrase, a password (also keyboard-interactive's
   * `Password:`), whether to trust a host key (answer `yes`, `no` or the fingerprint), or
   * something else (a one-time code, a PIN, a confirmation). 'passphrase' and 'host-key' only
   * for ssh's own prompts, matched whole against ssh's wording; a server's prompt, or any other,
   * is 'password' if it says "password", else 'other'. */
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

// The rest of a line: ssh's variable parts (a host, a path, added lines).
const LINE = '[^\\n]*';

// ssh's own prompts (OpenSSH 9.x's wording; the older ones it replaced where they differ), each
// a whole prompt, with the kind of answer it wants. None begins with "(" but the password
// prompts of a user whose name does. Each is matched in time linear in the prompt's length.
const SSH_PROMPTS: ReadonlyArray<readonly [RegExp, AskpassKind]> = [
  // sshconnect2.c, load_identity_file: "Enter passphrase for key '%.100s': ".
  [/^Enter passphrase for key '[\s\S]*': $/, 'passphrase'],
  // sshconnect.c, check_host_key, an unknown host key: "The authenticity of host '%.200s (%s)'
  // can't be established" then "." or a line saying keys of another type are known, "%s key
  // fingerprint is %s.", lines ssh may add (VisualHostKey's art, VerifyHostKeyDNS, the key's
  // other names), and the question: "(yes/no/[fingerprint])? " since OpenSSH 8.0, "(yes/no)? "
  // before.
  [
    new RegExp(
      `^The authenticity of host '${LINE}' can't be established` +
        `(?:\\.|\\nbut keys of different type are already known for this host\\.)` +
        `\\n\\S+ key fingerprint is \\S+\\.` +
        `(?:\\n${LINE})*` +
        `\\nAre you sure you want to continue connecting \\(yes/no(?:/\\[fingerprint\\])?\\)\\? $`,
    ),
    'host-key',
  ],
  // sshconnect.c, check_host_key, the host's key differs from its address's: "Warning: the %s
  // host key for '%.200s' differs from the key for the IP address '%.128s'", "Offending key for
  // IP in %s:%lu", maybe "Matching host key in %s:%lu", and the question.
  [
    new RegExp(
      `^Warning: the \\S+ host key for '${LINE}' differs from the key for the IP address '[^'\\n]*'` +
        `\\nOffending key for IP in ${LINE}:\\d+` +
        `(?:\\nMatching host key in ${LINE}:\\d+)?` +
        `\\nAre you sure you want to continue connecting \\(yes/no\\)\\? $`,
    ),
    'host-key',
  ],
  // sshconnect.c, confirm: the question asked again after an answer that is neither.
  [/^Please type 'yes', 'no' or the fingerprint: $/, 'host-key'],
  [/^Please type 'yes' or 'no': $/, 'host-key'],
  // clientloop.c, UpdateHostKeys=ask: the server's new host keys.
  [/^Accept updated hostkeys\? \(yes\/no\): $/, 'host-key'],
  // sshconnect2.c: "%s@%s's password: ", and a password change's "Enter %.30s@%.128s's old
  // password: ", "Enter ... new password: ", "Retype ... new password: ".
  [/^[^@]*@[\s\S]*'s password: $/, 'password'],
  [/^(?:Enter [^@]*@[\s\S]*'s (?:old|new)|Retype [^@]*@[\s\S]*'s new) password: $/, 'password'],
  // sshconnect2.c, identity_sign: a FIDO key's PIN, "Enter PIN for %s key %s: "; ssh-pkcs11.c:
  // a PKCS#11 token's, "Enter PIN for '%s': ". A PIN is neither a passphrase nor a password.
  [/^Enter PIN for \S+ key [\s\S]*: $/, 'other'],
  [/^Enter PIN for '[\s\S]*': $/, 'other'],
];

/** Whether the prompt is the server's (keyboard-interactive): it begins with "(", as ssh (OpenSSH
 * 8.5 and later) shows every such prompt as `(user@host) text`. Whatever follows, the user and
 * host included, is not looked at. */
export function fromServer(prompt: string): boolean {
  return prompt.startsWith('(');
}

/** The kind of ssh's prompt: a server's prompt is 'password' if it says "password", else
 * 'other'; one of ssh's own prompts, matched whole, its own kind; any other prompt 'password' if
 * it says "password", else 'other'. */
export function promptKind(prompt: string): AskpassKind {
  const said: AskpassKind = /password/i.test(prompt) ? 'password' : 'other';
  if (fromServer(prompt)) return said;
  for (const [form, kind] of SSH_PROMPTS) if (form.test(prompt)) return kind;
  return said;
}

export function askpassRequest(prompt: string, askpassPrompt = ''): AskpassRequest {
  const expects = askpassPrompt === 'confirm' ? 'confirm' : askpassPrompt === 'none' ? 'notice' : 'answer';
  const kind = expects === 'answer' ? promptKind(prompt) : 'other';
  return Object.freeze({ prompt: terminalSafe(prompt), kind, fromServer: fromServer(prompt), expects });
}
