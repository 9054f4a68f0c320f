// The host key ssh refused, as its own lines report it: the key's type, the fingerprint of the
// key the server offered, and where the known key that conflicts with it is (file and line).
// OpenSSH 9.2 prints the fingerprint and the conflicting entry for a changed key; for an unknown
// key under strict checking it names the type alone (and `ssh -v` adds the fingerprint).

import { plainText, terminalSafe } from '../terminal-safe.js';

export interface HostKeyReport {
  /** The key's type as ssh names it: `ED25519`, `ECDSA`, `RSA`. */
  type: string | null;
  /** The offered key's fingerprint (`SHA256:...`), or null where ssh did not print it. */
  fingerprint: string | null;
  /** The known-hosts file that holds the conflicting key, or null. */
  knownHostsFile: string | null;
  /** Its line there (1-based), or null. */
  line: number | null;
}

const NO_KEY = /^No (\S+) host key is known for \S+ and you have requested strict checking\.?$/;
const REVOKED = /^The (\S+) host key for \S+ is marked as revoked\.?$/;
const OFFERED = /^The fingerprint for the (\S+) key sent by the remote host is\.?$/;
// SHA256 by default, MD5 with FingerprintHash md5.
const FINGERPRINT = /^(SHA256:[A-Za-z0-9+/=]+|MD5:[0-9a-f]{2}(?::[0-9a-f]{2}){15})\.?$/;
const OFFENDING = /^Offending (\S+) key in (.+):(\d+)$/;
// With -v: "debug1: Server host key: ssh-ed25519 SHA256:...".
const SERVER_KEY = /^debug1: Server host key: \S+ (SHA256:[A-Za-z0-9+/=]+|MD5:[0-9a-f]{2}(?::[0-9a-f]{2}){15})$/;

// ssh writes its messages through strnvis (VIS_SAFE | VIS_OCTAL): a backslash as "\\", a byte
// outside printable ASCII as "\ooo". A path comes back to the bytes it names, as UTF-8.
function fromVis(text: string): string {
  if (!text.includes('\\')) return text;
  const bytes = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x5c && bytes[i + 1] === 0x5c) {
      out.push(0x5c);
      i++;
    } else if (bytes[i] === 0x5c && /^[0-3][0-7]{2}$/.test(bytes.toString('latin1', i + 1, i + 4))) {
      out.push(parseInt(bytes.toString('latin1', i + 1, i + 4), 8));
      i += 3;
    } else out.push(bytes[i]);
  }
  return new TextDecoder().decode(Uint8Array.from(out));
}

/** What ssh's lines say about the host key it refused, or undefined when they say nothing. */
export function hostKeyReport(lines: readonly string[]): HostKeyReport | undefined {
  const report: HostKeyReport = { type: null, fingerprint: null, knownHostsFile: null, line: null };
  const plain = lines.map((line) => plainText(line));
  // The fingerprint ssh printed with its warning wins over the debug lines.
  let offered = false;
  plain.forEach((text, i) => {
    let m: RegExpExecArray | null;
    if ((m = NO_KEY.exec(text)) || (m = REVOKED.exec(text))) report.type ??= m[1];
    else if ((m = OFFERED.exec(text))) {
      report.type ??= m[1];
      const next = FINGERPRINT.exec(plain[i + 1] ?? '');
      if (next) {
        report.fingerprint = next[1];
        offered = true;
      }
    } else if ((m = OFFENDING.exec(text))) {
      report.type ??= m[1];
      report.knownHostsFile ??= terminalSafe(fromVis(m[2]));
      report.line ??= Number(m[3]);
    } else if ((m = SERVER_KEY.exec(text)) && !offered) {
      // With -v through a jump host, each hop's key is logged: the target's comes last.
      report.fingerprint = m[1];
    }
  });
  return report.type === null && report.fingerprint === null ? undefined : report;
}
