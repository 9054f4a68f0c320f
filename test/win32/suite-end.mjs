// A root hook for the transport suite under node.exe (scripts/test-win32.mjs loads it with
// --require): once every test is over, what still holds the event loop goes to stderr, so that
// a run whose node.exe does not exit says what was left running.
export const mochaHooks = {
  afterAll() {
    process.stderr.write(`still active at the suite's end: ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
  },
};
