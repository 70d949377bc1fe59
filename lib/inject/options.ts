// The injector's options: which HTML responses get the client, and the nonce its tag carries.
import type { InjectPredicate, NonceProvider } from '../../types/index.js'
import { hook, option } from '../option.js'
import { invalid } from '../validate.js'

const injectAlways: InjectPredicate = () => true

export const INJECT_OPTIONS = {
  /** null: never inject. */
  inject: option<InjectPredicate | null>('true', value => {
    if (value === undefined || value === true) return injectAlways
    if (value === false) return null
    if (typeof value === 'function') return value as InjectPredicate
    return invalid('inject', 'must be a boolean or a function (request, reply) => boolean')
  }),
  nonce: hook<NonceProvider>('nonce', 'must be a function (request, reply) => string | undefined')
}
