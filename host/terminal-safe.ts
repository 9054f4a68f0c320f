// Terminal-safe text. The remote side writes what it likes on stderr, and whatever of it this
// library puts into its own text (an error message, its telling lines, a snapshot) or forwards
// to a terminal must not be able to retitle, clear or reorder the user's screen, or hide the
// real reason behind escape sequences: the same concern as git's sideband sanitising
// (CVE-2024-52005) and OpenSSH's own treatment of server-supplied text.
//
// Every control character other than newline and tab is shown visibly in caret notation (ESC as
// `^[`, BEL as `^G`, CR as `^M`, DEL as `^?`, a C1 control as `M-^[`, as `cat -v` shows them);
// the characters that reorder text (bidi embeddings, overrides and isolates) and the Unicode line
// separators as `<U+202E>`. With `colours`, SGR sequences (`ESC [ ... m`, colours and bold)
// pass as they are, as git lets them; any other escape sequence loses its ESC, so its remaining
// characters are shown as text.

// One alternation: an SGR sequence (kept when colours are allowed), or one character to show.
const UNSAFE = /(\x1b\[[0-9;:]*m)|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** How one unsafe character is shown. */
function visible(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  if (code < 0xa0) return `M-^${String.fromCharCode(code - 0x80 + 0x40)}`;
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

export interface TerminalSafeOptions {
  /** Let SGR sequences (colours) through. Default false. */
  colours?: boolean;
}

/**
 * The text with every control character but newline and tab shown visibly.
 *
 * ```ts
 * terminalSafe('denied\x1b]0;pwned\x07\x1b[2Jall good'); // 'denied^[]0;pwned^G^[[2Jall good'
 * terminalSafe('\x1b[31mred\x1b[0m', { colours: true });  // unchanged
 * ```
 */
export function terminalSafe(text: string, options: TerminalSafeOptions = {}): string {
  const colours = options.colours === true;
  return text.replace(UNSAFE, (match: string, sgr: string | undefined) => {
    if (sgr !== undefined) return colours ? sgr : `^[${sgr.slice(1)}`;
    return visible(match);
  });
}

/** Whether the text is already terminal-safe (no character terminalSafe would change). */
export function isTerminalSafe(text: string, options: TerminalSafeOptions = {}): boolean {
  return terminalSafe(text, options) === text;
}

// Escape sequences as a terminal parses them (CSI, OSC, the other two-character ones), removed
// before a line is matched against known messages, so that colouring a message does not hide it.
const SEQUENCES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[ -/]*[0-~])?|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The text of a line without escape sequences, control characters and bidi controls,
 * trimmed: what a pattern is matched against. */
export function plainText(line: string): string {
  return line.replace(SEQUENCES, '').trim();
}
