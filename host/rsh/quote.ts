// Quoting remote command words for the remote user's POSIX shell. ssh joins its arguments with
// spaces and the remote side runs them with `$SHELL -c`, so each word must arrive as one word,
// literally, whatever it holds.

// Words made only of these characters mean the same to a POSIX shell quoted or not.
const PLAIN = /^[A-Za-z0-9_./=:,+@%^-]+$/;

/**
 * Quotes one word for a POSIX shell: left alone when it is plain, else single-quoted with each
 * `'` written as `'\''`. Newlines, `$(...)`, backticks, `;` and the like arrive literally.
 *
 * ```ts
 * quoteForShell('data dir/');   // "'data dir/'"
 * quoteForShell("it's");        // "'it'\\''s'"
 * quoteForShell('');            // "''"
 * ```
 */
export function quoteForShell(word: string): string {
  if (typeof word !== 'string') throw new TypeError(`a remote command word must be a string, got ${typeof word}`);
  if (word.includes('\0')) throw new TypeError('a remote command word cannot hold a NUL byte: no shell can receive it');
  if (PLAIN.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every word and joins them with spaces: one string for the remote shell. */
export function quoteCommand(words: readonly string[]): string {
  return words.map(quoteForShell).join(' ');
}
