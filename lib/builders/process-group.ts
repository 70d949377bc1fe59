// A builder's child process leads a process group of its own (spawned `detached`): signalling
// the group reaches everything it started that stayed in it, so nothing outlives the build.

/** After SIGTERM, a process group gets this long before SIGKILL. */
export const KILL_GRACE_MS = 2000

/** Sends `signal` (0: none, a probe) to the group `pid` leads; false when no process is left in it. */
export function signalGroup (pid: number | undefined, signal: NodeJS.Signals | 0): boolean {
  if (pid === undefined) return false
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/** SIGTERM to the whole group, SIGKILL to what is left of it after the grace period. */
export function killGroup (pid: number | undefined): void {
  if (!signalGroup(pid, 'SIGTERM')) return
  setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref()
}
