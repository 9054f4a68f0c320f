// The snapshot as the host presents it: text decoded with replacement characters (it never
// throws on invalid UTF-8) and made terminal-safe (control characters other than newline and
// tab shown visibly: the remote side must not be able to drive the terminal of whoever prints
// it), the head and tail joined by a marker that counts what was left out. The bytes as the
// core rendered them stay in headBytes and tailBytes.

import { terminalSafe } from '../terminal-safe.js';
import { SnapInfo } from './abi.js';
import type { CoreInstance } from './pool.js';

export interface Snapshot {
  /** head, the omission marker when bytes were left out, then tail; terminal-safe. */
  readonly text: string;
  /** Text of the stream's first bytes, kept apart from the tail when the middle was dropped;
   * terminal-safe. */
  readonly head: string;
  /** Text of the newest bytes (the whole stream when nothing was dropped); terminal-safe. */
  readonly tail: string;
  /** Stream bytes between head and tail that the snapshot does not show. */
  readonly omittedBytes: number;
  /** Stream bytes seen when the snapshot was taken. */
  readonly bytesSeen: number;
  /** The head text's bytes before decoding (a copy). */
  readonly headBytes: Uint8Array;
  /** The tail text's bytes before decoding (a copy). */
  readonly tailBytes: Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export function decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function omissionMarker(omittedBytes: number): string {
  return `[... ${omittedBytes} ${omittedBytes === 1 ? 'byte' : 'bytes'} of stderr omitted ...]\n`;
}

function joinSnapshot(head: string, tail: string, omittedBytes: number): string {
  if (omittedBytes === 0) return head + tail;
  const headLine = head === '' || head.endsWith('\n') ? head : `${head}\n`;
  return headLine + omissionMarker(omittedBytes) + tail;
}

/** Reads the record that the core's snapshot() just wrote. */
export function readSnapshot(instance: CoreInstance): Snapshot {
  const info = instance.exports.snapshot_info_ptr();
  const view = instance.view;
  const ptr = view.getUint32(info + SnapInfo.PTR, true);
  const headLen = view.getUint32(info + SnapInfo.HEAD_LEN, true);
  const tailLen = view.getUint32(info + SnapInfo.TAIL_LEN, true);
  const omittedBytes = Number(view.getBigUint64(info + SnapInfo.OMITTED, true));
  const bytesSeen = Number(view.getBigUint64(info + SnapInfo.SEEN, true));
  const headBytes = instance.bytes.slice(ptr, ptr + headLen);
  const tailBytes = instance.bytes.slice(ptr + headLen, ptr + headLen + tailLen);
  return snapshotOf(headBytes, tailBytes, omittedBytes, bytesSeen);
}

/** A snapshot from the bytes a core rendered (this host's, or another's: the native launcher's). */
export function snapshotOf(headBytes: Uint8Array, tailBytes: Uint8Array, omittedBytes: number, bytesSeen: number): Snapshot {
  const head = terminalSafe(decode(headBytes));
  const tail = terminalSafe(decode(tailBytes));
  return { text: joinSnapshot(head, tail, omittedBytes), head, tail, omittedBytes, bytesSeen, headBytes, tailBytes };
}
