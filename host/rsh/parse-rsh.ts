// Splitting an -e/--rsh value into words exactly as upstream rsync does: only the space
// character separates words (runs of them are skipped; a tab is an ordinary character); ' or "
// opens a quote inside which the other quote character is literal and a doubled quote character
// gives one literal quote; there is no backslash processing at all; '' is an empty word; an
// unclosed quote is an error.

import { invalidInput } from '../errors.js';

/**
 * Splits a remote-shell command the way rsync splits `-e`/`--rsh`.
 *
 * ```ts
 * parseRsh(`ssh -p 2222 -o "ProxyCommand=nc %h %p"`); // ['ssh', '-p', '2222', '-o', 'ProxyCommand=nc %h %p']
 * ```
 * @throws RemoteShellError ERR_INVALID_RSH on an unclosed quote (naming where it opened).
 */
export function parseRsh(command: string): string[] {
  if (typeof command !== 'string') {
    throw invalidInput('ERR_INVALID_RSH', `invalid remote-shell command: expected a string, got ${typeof command}`);
  }
  const words: string[] = [];
  let i = 0;
  while (i < command.length) {
    if (command[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    let quote = '';
    let openedAt = -1;
    while (i < command.length && (command[i] !== ' ' || quote !== '')) {
      const c = command[i];
      if (c === "'" || c === '"') {
        if (quote === '') {
          quote = c;
          openedAt = i;
          i++;
          continue;
        }
        if (c === quote) {
          // A doubled quote character inside its own quotes stands for one literal quote.
          if (command[i + 1] === quote) {
            word += quote;
            i += 2;
            continue;
          }
          quote = '';
          i++;
          continue;
        }
      }
      word += c;
      i++;
    }
    if (quote !== '') {
      throw invalidInput(
        'ERR_INVALID_RSH',
        `Missing trailing-${quote} in remote-shell command (the quote opened at position ${openedAt + 1}): ${command}`,
      );
    }
    words.push(word);
  }
  if (words.length === 0) {
    throw invalidInput('ERR_INVALID_RSH', 'invalid remote-shell command: it names no program');
  }
  return words;
}
