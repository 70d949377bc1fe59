/**
 * Resolves once `condition()` holds, checking every few milliseconds; rejects after `timeoutMs`.
 * Only for state that no event announces (a count on the server side of a socket that closed,
 * a process that died, a file another process writes, another process's stats asked for over
 * IPC): anything that emits is awaited instead.
 */
export async function eventually (condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/**
 * Resolves with `promise`, or rejects naming `what` after `ms`, with `details()` (read when it
 * fails: what was logged by then). A guard against a wait that never ends, not a speed check.
 */
export async function within<T> (promise: Promise<T>, what: string, ms = 20_000, details = (): string => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms${details()}`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}
