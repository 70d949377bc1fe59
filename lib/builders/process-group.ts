// A builder's child process leads a process group of its own (spawned `detached`): signalling
// the group reaches everything it started that stayed in it, so nothing outlives the build.
import type { ChildProcess } from 'node:child_process'
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

/**
 * The groups sent SIGTERM and not SIGKILL yet. A timer goes with this process: should it exit
 * first (the command stops a second after Ctrl-C), they get SIGKILL as it does, or a command that
 * ignores SIGTERM outlives the server (seen: a generator in --watch still writing its output).
 */
const dying = new Set<number>()

/** SIGTERM to the whole group, SIGKILL to what is left of it after the grace period, or as this process exits. */
export function killGroup (pid: number | undefined): void {
  if (pid === undefined || !signalGroup(pid, 'SIGTERM')) return
  if (dying.size === 0) process.on('exit', killDying)
  dying.add(pid)
  setTimeout(() => { kill(pid) }, KILL_GRACE_MS).unref()
}

/**
 * killGroup, for a builder's close(): resolves once SIGKILL has gone to what is left of the group,
 * as soon as `child` has closed (it exited, and so did whatever held its output), else after the
 * grace period. A server closing awaits it, and a command that handles SIGTERM has the time it
 * needs, up to the grace period, before the server exits.
 */
export async function endGroup (child: ChildProcess): Promise<void> {
  const { pid } = child
  killGroup(pid)
  if (pid === undefined || !dying.has(pid)) return
  let timer: NodeJS.Timeout | undefined
  let onClose = (): void => {}
  await new Promise<void>(resolve => {
    onClose = resolve
    child.once('close', onClose)
    timer = setTimeout(resolve, KILL_GRACE_MS) // not unref'd: the server's close waits for it, the process with it
  })
  clearTimeout(timer)
  child.removeListener('close', onClose)
  kill(pid)
}

/** SIGKILL to the group, once: a pid killed already may be a new group's by the time killGroup's timer comes. */
function kill (pid: number): void {
  if (!dying.delete(pid)) return
  if (dying.size === 0) process.removeListener('exit', killDying)
  signalGroup(pid, 'SIGKILL')
}

function killDying (): void {
  for (const pid of dying) signalGroup(pid, 'SIGKILL')
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
