// Quoting remote command words for the remote user's POSIX shell. ssh joins its arguments with
// spaces and the remote side runs them with `$SHELL -c`, so each word must arrive as one word,
// literally, whatever it holds.
//
// The first word is special twice over. The joined command is one argument that follows the
// host, and OpenSSH reads options after the host too: a command starting with `-` would be an
// ssh option (`-oProxyCommand=...` runs on the local machine). And the remote shell reads its
// first word as a keyword (`if`, `time`) or an assignment (`A=1`) where it can: quoted, it is
// the name of the command to run, as every other word is a literal argument.

// Words made only of these characters mean the same to a POSIX shell quoted or not (zsh reads
// a word starting with `=` as a command path, so `=` may not come first; `^` was a pipe in the
// Bourne shell and is a glob in zsh).
const PLAIN = /^[A-Za-z0-9_./:,+@%-][A-Za-z0-9_./=:,+@%-]*$/;

// Reserved words of POSIX sh, bash, ksh and zsh that need no quoting to be one word.
const KEYWORDS = new Set([
  'case',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'if',
  'in',
  'then',
  'until',
  'while',
  'function',
  'select',
  'time',
  'coproc',
  'repeat',
  'foreach',
  'end',
  'nocorrect',
  'noglob',
]);

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
  checkWord(word);
  return PLAIN.test(word) ? word : singleQuoted(word);
}

/**
 * Quotes every word and joins them with spaces: one string for the remote shell, which never
 * starts with `-` and whose first word is always the command's name.
 *
 * ```ts
 * quoteCommand(['rsync', '--server', '.']);     // 'rsync --server .'
 * quoteCommand(['-oProxyCommand=x', 'y']);      // "'-oProxyCommand=x' y"
 * quoteCommand(['if', 'A=1']);                  // "'if' A=1"
 * ```
 */
export function quoteCommand(words: readonly string[]): string {
  return words.map((word, i) => (i === 0 ? quoteCommandName(word) : quoteForShell(word))).join(' ');
}

// A command name that means the same quoted or not: no option dash, no assignment, no keyword,
// and no `%` job spec (`%1` is `fg %1` to bash) at its start.
const PLAIN_NAME = /^[A-Za-z0-9_./][A-Za-z0-9_./:,+@%-]*$/;

function quoteCommandName(word: string): string {
  checkWord(word);
  return PLAIN_NAME.test(word) && !KEYWORDS.has(word) ? word : singleQuoted(word);
}

function singleQuoted(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function checkWord(word: unknown): asserts word is string {
  if (typeof word !== 'string') throw new TypeError(`a remote command word must be a string, got ${typeof word}`);
  if (word.includes('\0')) throw new TypeError('a remote command word cannot hold a NUL byte: no shell can receive it');
}
