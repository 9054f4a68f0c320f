// The cases node.exe runs under Wine, and how they are reported: one line each, `ok NAME (N ms)`
// or `not ok NAME (N ms): why`, which scripts/test-win32.mjs counts.

const cases = [];

/** Adds a case; `fn` may be async. */
export const test = (name, fn) => cases.push({ name, fn });

/** Runs the cases in order, each reported as it ends. */
export async function runCases() {
  for (const { name, fn } of cases) {
    const started = performance.now();
    try {
      await fn();
      console.log(`ok ${name} (${Math.round(performance.now() - started)} ms)`);
    } catch (err) {
      const why = String(err?.stack ?? err)
        .split('\n')
        .slice(0, 6)
        .join(' | ');
      console.log(`not ok ${name} (${Math.round(performance.now() - started)} ms): ${why}`);
    }
  }
}
