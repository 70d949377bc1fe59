// The watch part's options: what is watched besides the output directory, what is ignored in
// every watched directory, and whether to poll.
import { resolve } from 'node:path'
import { DEFAULT_IGNORE, type IgnoreRules } from '../ignore.js'
import { describe, option } from '../option.js'
import { integerOption, invalid, validGlob } from '../validate.js'

/** `poll: true` polls this often (ms); a large tree stretches it (see poll.ts). */
export const DEFAULT_POLL_INTERVAL_MS = 500
const MIN_POLL_INTERVAL_MS = 100

export const WATCH_OPTIONS = {
  /** Absolute source paths (files or directories). */
  watch: option<readonly string[]>('[]', value => {
    if (value === undefined) return Object.freeze([])
    const entries = typeof value === 'string' ? [value] : value
    if (!Array.isArray(entries) || !entries.every(entry => typeof entry === 'string' && entry !== '')) {
      invalid('watch', 'must be a path or an array of paths (files or directories)')
    }
    return Object.freeze([...new Set(entries.map(entry => resolve(entry)))])
  }),
  /** The defaults (DEFAULT_IGNORE), then the user's globs; the user's RegExps apart. */
  ignore: option<IgnoreRules>('[]', (value = []) => {
    if (!Array.isArray(value)) invalid('ignore', 'must be an array of globs and RegExps')
    const globs = [...DEFAULT_IGNORE]
    const regexps: RegExp[] = []
    for (const pattern of value as unknown[]) {
      if (pattern instanceof RegExp) {
        regexps.push(new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')))
      } else if (typeof pattern === 'string' && pattern.trim() !== '') {
        globs.push(validGlob('ignore', pattern))
      } else {
        invalid('ignore', `holds ${describe(pattern)}: each entry must be a non-empty glob string or a RegExp`)
      }
    }
    return Object.freeze({ globs: Object.freeze(globs), regexps: Object.freeze(regexps) })
  }),
  /** Poll interval (ms); false: native events only; 'auto': poll where native events do not arrive. */
  poll: option<number | false | 'auto'>('auto: true on WSL2 /mnt/*, network and FUSE mounts', value => {
    if (value === undefined) return 'auto'
    if (value === true) return DEFAULT_POLL_INTERVAL_MS
    if (value === false) return false
    if (typeof value !== 'number') invalid('poll', 'must be a boolean or an interval in milliseconds')
    return integerOption('poll', value, { min: MIN_POLL_INTERVAL_MS, unit: 'ms' })
  })
}
