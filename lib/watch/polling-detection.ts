import { readFileSync } from 'node:fs'
import { realPathOf } from '../paths.js'

/**
 * File systems on which inotify only reports changes made through this kernel, so edits made on
 * the other side (the Windows host, another machine, the host of a VM) never arrive.
 */
const REMOTE_TYPES = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', '9p', 'v9fs', 'drvfs', 'vboxsf', 'fuse'])

/**
 * Why native events cannot be trusted for `path`, or null. Pure: `mountinfo` is the text of
 * /proc/self/mountinfo and `version` that of /proc/version.
 */
export function pollingReason (path: string, mountinfo: string, version: string): string | null {
  if (/microsoft/i.test(version) && /^\/mnt\/[a-z](\/|$)/.test(path)) {
    return `"${path.slice(0, 6)}" is a Windows drive under WSL: edits made from Windows send no inotify events`
  }
  const mount = mountOf(path, mountinfo)
  if (mount === null) return null
  const isRemote = REMOTE_TYPES.has(mount.type) || mount.type.startsWith('fuse.')
  return isRemote ? `"${mount.point}" is a ${mount.type} mount: changes made outside this machine send no inotify events` : null
}

/** The mount (point and file system type) that holds `path`: the longest mount point above it. */
export function mountOf (path: string, mountinfo: string): { point: string, type: string } | null {
  let best: { point: string, type: string } | null = null
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ')
    const separator = fields.indexOf('-', 6)
    if (separator === -1) continue
    const point = unescape(fields[4])
    const isAbove = point === '/' || path === point || path.startsWith(point + '/')
    if (isAbove && (best === null || point.length >= best.point.length)) best = { point, type: fields[separator + 1] }
  }
  return best
}

/** Mount points escape space, tab, newline and backslash as octal. */
function unescape (field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

/**
 * Reads the system's answer for `path`; anything unreadable (not Linux) means native events.
 * Synchronously: two small files of /proc and a realpath take microseconds, where each await of
 * theirs waited a turn behind the rest of a start's work before the watcher could begin.
 */
export function detectPollingReason (path: string, files = { mountinfo: '/proc/self/mountinfo', version: '/proc/version' }): string | null {
  return pollingReason(realPathOf(path), attempt(() => readFileSync(files.mountinfo, 'utf8'), ''), attempt(() => readFileSync(files.version, 'utf8'), ''))
}

function attempt<T> (read: () => T, otherwise: T): T {
  try {
    return read()
  } catch {
    return otherwise
  }
}
