// fastify-livereload/keep: what an app keeps across the dev server's code reloads (docs/dev.md,
// "State across a reload"). Outside `dev`, keep() checks its arguments and does nothing else.
import { FST_LIVERELOAD_INVALID_OPTION } from '../errors.js'
import { KEEPERS, keeping, type Keeper } from './keepers.js'

export type { Keeper }

/** Keeps `name` across reloads: the version after this one gets what `save` returns, through `restore`. A name kept again is replaced. */
export function keep (name: string, keeper: Keeper): void {
  if (typeof name !== 'string' || name === '') throw new FST_LIVERELOAD_INVALID_OPTION('keep(name)', 'must be a non-empty string')
  if (typeof keeper?.save !== 'function' || typeof keeper.restore !== 'function') throw new FST_LIVERELOAD_INVALID_OPTION(`keep("${name}")`, 'must be given { save () {}, restore (saved) {} }')
  keeping[KEEPERS]?.set(name, keeper)
}
