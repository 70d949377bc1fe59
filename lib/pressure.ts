import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'
import { availableParallelism } from 'node:os'

const CPUS = availableParallelism()
const SOME_TOTAL = /^some .*total=(\d+)/
const buffer = Buffer.alloc(256)

/** /proc/pressure/cpu, opened once and read again from the start each time: ~5 µs a read, against ~30 µs to open, read and close. */
let cpuPressure: number | null | undefined

/**
 * How long (ms) threads have waited for a CPU on this machine, from the kernel's pressure counter
 * (Linux ≥ 4.20: /proc/pressure/cpu, `some … total`), counted from boot. The kernel averages it
 * over the CPUs, so a thread waiting on one CPU while the others run adds only its share:
 * multiplied by the number of CPUs, the difference over a silence bounds how long a writer may
 * have been kept off a CPU during it. Not the disk's counter: on disk, every save is followed by
 * the journal's own I/O, which kept saves waiting 50 ms (writeFileSync, p50 53.6 ms against 1.9
 * for the watcher). 0, and unchanging, where the kernel does not say (other systems, kernels
 * before 4.20 or booted with psi=0).
 */
export function waitedMs (): number {
  if (cpuPressure === undefined) cpuPressure = openIfPresent('/proc/pressure/cpu')
  /* c8 ignore next: the kernels this is tested on have it */
  if (cpuPressure === null) return 0
  const length = readSync(cpuPressure, buffer, 0, buffer.length, 0)
  return CPUS * Number(SOME_TOTAL.exec(buffer.toString('latin1', 0, length))?.[1] ?? 0) / 1000
}

/** The kernel makes /proc/pressure only where it accounts pressure (not with psi=0, not before 4.20). */
function openIfPresent (path: string): number | null {
  try {
    return openSync(path, 'r')
  } catch { /* c8 ignore start: the kernels this is tested on have it */
    return null
  } /* c8 ignore stop */
}

/** What the machine is doing right now, from /proc/stat's instantaneous counts (not the load average's). */
export interface Load {
  /**
   * Threads of other processes ready to run per CPU, plus this one. This process's other threads
   * (the watcher's, libuv's pool hashing a build's outputs, V8's collector) are left out: none of
   * them writes a source while it runs, and right after a build they kept one save in five
   * waiting a burst's quiet (p95 51 ms against 6 after an idle spell). Exact above 1; at most 1
   * nobody waits for a CPU, and it is all threads running per CPU (ours are then not read).
   */
  readonly readyPerCpu: number
  /**
   * A thread is blocked on the disk (procs_blocked), this process's own among them: a writer that
   * the kernel's writeback throttles, waiting for a page under writeback or for the block layer's
   * write throttle, pauses 20–470 ms between two files with no CPU waited for (a process rewriting
   * 2,000 files beside a `dd` writing to the same disk, its state sampled from /proc meanwhile).
   */
  readonly isDiskBlocked: boolean
}

/**
 * The machine's load now: a moment's sample, not a measure of a silence (the moment a watcher's
 * batch arrives is one its own delivery makes busy). Idle where /proc/stat cannot be read (not Linux).
 */
export function load (): Load {
  let text: string
  try {
    text = readFileSync('/proc/stat', 'latin1')
  } catch { /* c8 ignore start: Linux always has it */
    return { readyPerCpu: 0, isDiskBlocked: false }
  } /* c8 ignore stop */
  const count = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 0)
  const running = count(RUNNING)
  const isDiskBlocked = count(BLOCKED) > 0
  // This thread is one of the running: with no more than a CPU each, nobody waits for one, and
  // the others are not counted (a thread's /proc each: 0.3–0.5 ms on a save's way, in all).
  if (running <= CPUS) return { readyPerCpu: running / CPUS, isDiskBlocked }
  // Read a few dozen microseconds after /proc/stat: a thread of ours that woke meanwhile would
  // make the others' count negative (seen with three threads spinning on a loaded machine).
  const others = Math.max(0, running - ownThreadsReady())
  return { readyPerCpu: (others + 1) / CPUS, isDiskBlocked }
}
const RUNNING = /^procs_running (\d+)/m
const BLOCKED = /^procs_blocked (\d+)/m

/** Each thread's /proc/self/task/<tid>/stat, opened once (as /proc/pressure/cpu is) and read again from the start. */
const taskStats = new Map<string, number>()

/** This process's threads running or ready to run (this one among them), from /proc/self/task. */
export function ownThreadsReady (): number {
  let running = 0
  let tasks: Set<string>
  try {
    tasks = new Set(readdirSync('/proc/self/task'))
  } catch { /* c8 ignore start: Linux always has it */
    return 1
  } /* c8 ignore stop */
  for (const [task, fd] of taskStats) {
    if (tasks.has(task)) continue
    closeSync(fd) // a thread that ended
    taskStats.delete(task)
  }
  for (const task of tasks) {
    let length: number
    try {
      let fd = taskStats.get(task)
      if (fd === undefined) taskStats.set(task, fd = openSync(`/proc/self/task/${task}/stat`, 'r'))
      length = readSync(fd, buffer, 0, buffer.length, 0)
    } catch { /* c8 ignore next 2: a thread that ended since the list was read */
      continue
    }
    // `tid (comm) S …`: the name may hold spaces and parentheses, the state follows the last one.
    const text = buffer.toString('latin1', 0, length)
    if (text[text.lastIndexOf(')') + 2] === 'R') running++
  }
  return Math.max(running, 1)
}
