import { watch, type FSWatcher } from 'node:fs'
import { dirname, join } from 'node:path'

/** Paths of a first batch that the probe looks at: enough to catch a burst, cheap to open. */
export const PROBE_PATHS = 4

/**
 * @parcel/watcher delivers the first change after an idle spell at once, then holds further
 * events until 50 ms of quiet or 500 ms have passed. From JavaScript, a single save and the
 * start of a long burst (a checkout, an archive unpacked) look the same for those 500 ms. The
 * probe tells them apart: it watches, non-recursively, the first batch's files and their
 * directories, and calls `onActivity` once at the first further event, with the path written
 * (when the kernel names it), so that a save still writing its own file can be told from a
 * burst writing others. Its watchers close at that event or on `stop()`, so a burst costs at
 * most a few inotify watches and one callback.
 */
export function probeActivity (paths: readonly string[], onActivity: (path: string | null) => void): { stop (): void } {
  const watchers: FSWatcher[] = []
  const stop = (): void => {
    for (const watcher of watchers.splice(0)) watcher.close()
  }
  const files = new Set(paths.slice(0, PROBE_PATHS))
  const targets = new Set([...files].flatMap(path => [path, dirname(path)]))
  for (const target of targets) {
    const isFile = files.has(target)
    try {
      const watcher = watch(target, { persistent: false }, (_event, name) => {
        stop()
        onActivity(isFile ? target : typeof name === 'string' ? join(target, name) : null)
      })
      watcher.on('error', stop)
      watchers.push(watcher)
    } catch { /* gone already (a delete): nothing to watch there */ }
  }
  return { stop }
}
