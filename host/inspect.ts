// What the tests read of the library's state (a pool's instances, a pump's counters, the shared
// connections): a member under this key is for them alone, and nothing in the library reads it.
// A module of its own, importing nothing, so that any module can take the key without a cycle;
// tests take it from host/internal.ts.

export const inspect = Symbol('rsh-transport inspection');
