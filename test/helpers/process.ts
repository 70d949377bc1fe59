import { existsSync, readFileSync } from 'node:fs'
import { eventually } from './eventually.js'

/** True while the process runs; a zombie (killed, not yet reaped by whoever adopted it) is gone. */
export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

/** What /proc says of a process, for a failure's message: its stat line (state, parent, group) and command line. */
export function describeProcess (pid: number): string {
  const read = (file: string): string => { try { return readFileSync(`/proc/${pid}/${file}`, 'utf8') } catch (err) { return (err as Error).message } }
  return `${read('stat').split(' ').slice(0, 8).join(' ')} [${read('cmdline').split('\0').join(' ').trim()}]`
}

/** A shell command that starts a grandchild (a long sleep), writes "<shell pid> <grandchild pid>" to `pidFile`, and waits. */
export function sleepingGroup (pidFile: string): string {
  return `sleep 300 & echo "$$ $!" > ${JSON.stringify(pidFile)}; wait`
}

/**
 * The shell and grandchild pids a `sleepingGroup` command wrote, once it has written them.
 * `timeoutMs` bounds the wait: a fresh Node.js process or two take seconds on a loaded machine.
 */
export async function groupPids (pidFile: string, timeoutMs = 5000): Promise<[shell: number, grandchild: number]> {
  await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), timeoutMs, 'the command started its grandchild')
  const [shell, grandchild] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number)
  return [shell, grandchild]
}
