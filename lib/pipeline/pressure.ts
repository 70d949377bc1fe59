import { openSync, readFileSync, readSync } from 'node:fs'
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

/**
 * Threads ready to run per CPU right now, this one included, from /proc/stat's instantaneous
 * counts (not the load average's); at least 2 while any thread is blocked on the disk. A moment's
 * sample, not a measure of a silence: the moment a watcher's batch arrives is one its own delivery
 * makes busy. 0 where /proc/stat cannot be read (not Linux).
 */
export function readyPerCpu (): number {
  let text: string
  try {
    text = readFileSync('/proc/stat', 'latin1')
  } catch { /* c8 ignore start: Linux always has it */
    return 0
  } /* c8 ignore stop */
  const count = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 0)
  return Math.max(count(RUNNING) / CPUS, count(BLOCKED) > 0 ? 2 : 0)
}
const RUNNING = /^procs_running (\d+)/m
const BLOCKED = /^procs_blocked (\d+)/m
