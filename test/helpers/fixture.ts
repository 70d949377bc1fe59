import { realpathSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import type { Test } from 'tap'

export type Files = NonNullable<Parameters<Test['testdir']>[0]>

/**
 * The test's fixture directory (tap's t.testdir), by its real path: the watcher reports real
 * paths, and a temp dir may be reached through a symlink.
 *
 * tap chains the removal of a testdir and the test's teardowns onto the end of the test in the
 * order of their first use (@tapjs/fixture and @tapjs/after each wrap the test's onEOF), so a
 * directory made before the first t.teardown() was removed before every teardown ran: apps,
 * watchers and builders then closed over a directory being deleted (ENOTEMPTY when a build
 * wrote into it meanwhile). The empty teardown registered first puts the removal last.
 */
export function fixture (t: Test, files: Files = {}): string {
  t.teardown(() => {})
  return realpathSync(t.testdir(files))
}

/**
 * Saves a source as editors do, a temporary file renamed over it: one event for a generator's
 * own watcher whatever the load (a write in place is a truncate, then a write, which a loaded
 * machine can put more than a generator's debounce apart: a rebuild from the empty file first).
 */
export async function saveWhole (file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text)
  await rename(`${file}.tmp`, file)
}
