// A builder's child process leads a process group of its own (spawned `detached`): signalling
// the group reaches everything it started that stayed in it, so nothing outlives the build.
import { constants } from 'node:os'

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

/**
 * How a command run through the shell ended, for its error: `exited with code 1`; a shell reports
 * a command a signal killed as 128 + its number, named: `exited with code 137 (SIGKILL)`.
 */
export function exitStatus (code: number | null, signal: NodeJS.Signals | null): string {
  if (code === null) return `was killed by ${String(signal)}`
  const name = code > 128 ? Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0] : undefined
  return `exited with code ${code}${name === undefined ? '' : ` (${name})`}`
}
