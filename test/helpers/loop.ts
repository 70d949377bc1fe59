/**
 * The library unrefs its timers so that it never keeps a process alive. A unit test with no
 * server listening must hold the event loop itself while it awaits one of them.
 */
export function holdEventLoop (t: { teardown: (fn: () => void) => void }): void {
  const handle = setInterval(() => {}, 60_000)
  t.teardown(() => clearInterval(handle))
}

/** Keeps this thread busy for `ms`: its event loop held up, as a long synchronous call or a busy machine holds it. */
export function stall (ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end);
}
