// Terminal-safe text. The remote side writes what it likes on stderr, and whatever of it this
// library puts into its own text (an error message, its telling lines, a snapshot) or forwards
// to a terminal must not be able to retitle, clear or reorder the user's screen, or hide the
// real reason behind escape sequences: the same concern as git's sideband sanitising
// (CVE-2024-52005) and OpenSSH's own treatment of server-supplied text.
//
// Every control character other than newline and tab is shown visibly in caret notation (ESC as
// `^[`, BEL as `^G`, CR as `^M`, DEL as `^?`, a C1 control as `M-^[`, as `cat -v` shows them);
// the characters that reorder text (bidi embeddings, overrides and isolates) and the Unicode line
// separators as `<U+202E>`. With `colours`, SGR sequences (`ESC [ ... m`) that only set colours
// and plain attributes pass, as git lets colours through; one that conceals text or blinks is
// shown like any other escape sequence, which loses its ESC so that its remaining characters
// are seen as text.
//
// The core does the same on bytes (sanitize() in assembly/sanitize.ts), for hosts without
// JavaScript: test/core/sanitize.test.ts holds the two to each other, byte for byte.

// An SGR sequence (kept when colours are allowed), an ESC, or a run of other characters to show
// (a run at a time: a flood of NUL bytes is one replacement, not one per byte).
const UNSAFE = /\x1b\[[0-9;:]{0,64}m|\x1b|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** How one unsafe character is shown. */
function visible(code: number): string {
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  if (code < 0xa0) return `M-^${String.fromCharCode(code - 0x80 + 0x40)}`;
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

const SHOWN = Array.from({ length: 0xa0 }, (_, code) => visible(code));

// Joined rather than appended: 64 KiB of NULs appended one by one make a rope of 65,536 nodes
// (2 MiB) where the flat text is 128 KiB.
function showRun(run: string): string {
  const shown = new Array<string>(run.length);
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    shown[i] = code < 0xa0 ? SHOWN[code] : visible(code);
  }
  return shown.join('');
}

export interface TerminalSafeOptions {
  /** Let SGR sequences that set colours and plain attributes through. Default false. */
  colours?: boolean;
}

// SGR parameters that only colour or style text (ECMA-48 8.3.117): not 8 (conceal), which would
// hide whatever follows, the reason included, nor 5 and 6 (blink).
const PLAIN_ATTRIBUTES = new Set([0, 1, 2, 3, 4, 7, 9, 21, 22, 23, 24, 27, 29, 39, 49, 59]);

function isColour(n: number): boolean {
  return PLAIN_ATTRIBUTES.has(n) || (n >= 30 && n <= 37) || (n >= 40 && n <= 47) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107);
}

/** Whether an SGR parameter string only sets colours and plain attributes. */
function onlyColours(params: string): boolean {
  if (params === '') return true;
  const words = params.split(/[;:]/);
  for (let i = 0; i < words.length; i++) {
    if (!/^\d{1,3}$/.test(words[i])) return false;
    const n = Number(words[i]);
    if (n === 38 || n === 48 || n === 58) {
      // 38;5;N (a palette colour) or 38;2;R;G;B (a true colour).
      const count = words[i + 1] === '5' ? 1 : words[i + 1] === '2' ? 3 : -1;
      const values = words.slice(i + 2, i + 2 + count);
      if (count < 0 || values.length !== count || values.some((v) => !/^\d{1,3}$/.test(v) || Number(v) > 255)) return false;
      i += 1 + count;
      continue;
    }
    if (!isColour(n)) return false;
  }
  return true;
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
  // The match tells what it is, not its capture groups: Node 20.11 on s390x (seen under qemu)
  // hands a global replace's callback the empty string for a group that took no part in that
  // match, where it should be undefined (an ESC after an SGR sequence vanished). Only the SGR alternative matches more
  // than one character from an ESC.
  return text.replace(UNSAFE, (match: string) => {
    if (match.length > 1 && match.charCodeAt(0) === 0x1b) return colours && onlyColours(match.slice(2, -1)) ? match : `^[${match.slice(1)}`;
    return showRun(match);
  });
}

/** A reset of every attribute: after remote text that set colours, so that none reaches what
 * follows (our own last line, the user's prompt). */
const RESET_ATTRIBUTES = '\x1b[m';

/** Text for a terminal: terminal-safe with colours, followed by a reset when it set any. */
export function forTerminal(text: string): string {
  const safe = terminalSafe(text, { colours: true });
  return safe.includes('\x1b') ? safe + RESET_ATTRIBUTES : safe;
}

// Escape sequences as a terminal parses them (CSI, OSC, the other two-character ones), removed
// before a line is matched against known messages, so that colouring a message does not hide it.
const SEQUENCES =
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[ -/]*[0-~])?|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The text of a line without escape sequences, control characters and bidi controls,
 * trimmed: what a pattern is matched against. */
export function plainText(line: string): string {
  return line.replace(SEQUENCES, '').trim();
}
