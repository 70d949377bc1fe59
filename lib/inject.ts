// STUB: replaced by the injection implementation.
import type { onRequestHookHandler, onSendHookHandler } from 'fastify'
import type { ResolvedOptions } from './options.js'

export interface InjectHooks {
  onRequest: onRequestHookHandler
  onSend: onSendHookHandler
}

export function createInjectHooks (_options: ResolvedOptions): InjectHooks {
  return {
    onRequest: async () => {},
    onSend: async (_request, _reply, payload) => payload
  }
}
