// Nothing in the core can fail an assertion (a release build has none left); should the
// compiler still need an abort, it traps instead of importing one from the host.
export function coreAbort(_message: usize, _file: usize, _line: u32, _column: u32): void {
  unreachable();
}
