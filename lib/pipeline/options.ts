// The pipeline's options: the builder and its hooks, how changes are told apart and what they
// become.
import type { Builder, BuildContext, BuildReport, FileChange } from '../../types/index.js'
import { flag, hook, option } from '../option.js'
import { integerOption, invalid } from '../validate.js'

export const DEFAULT_DEBOUNCE_MS = 75

export const PIPELINE_OPTIONS = {
  /** A bare build function becomes a Builder; anything else must already be one. */
  builder: option<Builder | null>(undefined, value => {
    if (value === undefined || value === null) return null
    if (typeof value === 'function') return Object.freeze({ name: value.name || 'build', build: value as Builder['build'] })
    const builder = value as Partial<Builder>
    if (typeof value !== 'object' || typeof builder.build !== 'function') {
      invalid('builder', 'must be a function (ctx) => outcome, or an object with a build(ctx) method')
    }
    if (builder.close !== undefined && typeof builder.close !== 'function') invalid('builder', 'has a close that is not a function')
    if (builder.watch !== undefined && typeof builder.watch !== 'function') invalid('builder', 'has a watch that is not a function')
    return value as Builder
  }),
  buildOnStart: option<boolean>('true when there is a builder', (value, { builder }) => flag('buildOnStart', builder != null).resolve(value, {})),
  /** Whether changes arriving during a build abort it. */
  supersede: option<(changes: FileChange[]) => boolean>('false', value => {
    if (value === undefined || value === false) return () => false
    if (value === true) return () => true
    if (typeof value !== 'function') invalid('supersede', 'must be a boolean or a function (changes) => boolean')
    return changes => (value as (changes: FileChange[]) => unknown)(changes) === true
  }),
  onBuildStart: hook<(ctx: BuildContext) => unknown>('onBuildStart'),
  onBuildEnd: hook<(report: BuildReport) => unknown>('onBuildEnd'),
  debounce: option<number>(String(DEFAULT_DEBOUNCE_MS), value => integerOption('debounce', value ?? DEFAULT_DEBOUNCE_MS, { min: 0, unit: 'ms' })),
  /** Swap changed stylesheets and images in place instead of reloading. */
  css: flag('css', true)
}
