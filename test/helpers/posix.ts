// Tests that need what only POSIX systems have: a signal Windows neither delivers nor lets a
// process ignore (it ends a child outright, whatever it asked for), /proc and fd numbers, a
// pseudo-terminal, or `sh` itself. Each says so in its name, `(POSIX)`, and is skipped on
// Windows; every other transport test runs its remote side with Node (see stand-in.ts).

/** Skips the running test on Windows; `why` is what it needs that Windows lacks. */
export function posixOnly(test: Mocha.Context, why: string): void {
  if (!test.test?.fullTitle().includes('(POSIX)')) throw new Error(`a POSIX-only test says so in its name: (POSIX), for: ${why}`);
  if (process.platform === 'win32') test.skip();
}
