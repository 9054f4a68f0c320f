// What must never reach a terminal from the remote side.

/** Every character a terminal acts on rather than shows, but newline and tab: none may reach an
 * error, a snapshot's text or a terminal from the remote side. */
export const CONTROL_CHARACTERS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
