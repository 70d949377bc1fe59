// The message types, as values, for the code that must list them at run time. The compiler
// holds these tables to the ServerMessage union (types/index.d.ts) and to OutcomeMessage
// (types/testing.d.ts): a new message type fails to compile here until it is placed, and in the
// client's `switch` until it is handled. Browser-safe: the client imports it too.
import type { ServerMessage } from '../types/index.js'
import type { OutcomeMessage } from '../types/testing.js'

/** `sync` goes from tab to tab over WebSockets only: never broadcast, never an event on a stream. */
type MessageType = Exclude<ServerMessage['type'], 'sync'>
type OutcomeType = OutcomeMessage['type']

// Objects, not arrays: `satisfies Record<…>` names every type that is missing.
const OUTCOMES = { reload: true, css: true, img: true, error: true, clear: true } as const satisfies Record<OutcomeType, true>
const ALL = { hello: true, building: true, ...OUTCOMES } as const satisfies Record<MessageType, true>

/** Every message type the server sends all clients (the client's event names on Server-Sent Events). */
export const MESSAGE_TYPES = Object.keys(ALL) as readonly MessageType[]
/** What `fastify.liveReload.send()` accepts: every type but `hello`, which only the hub sends. */
export const BROADCAST_TYPES = /* @__PURE__ */ MESSAGE_TYPES.filter(type => type !== 'hello')
/** The types that end a change: what the browser does about it. */
export const OUTCOME_TYPES = /* @__PURE__ */ Object.keys(OUTCOMES) as readonly OutcomeType[]
