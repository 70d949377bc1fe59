// What the plugin takes of node:http, through require(). An ES import of node:http reads every
// export of the module, and on Node 24 three of them (WebSocket, CloseEvent, MessageEvent) are
// getters that load Node's fetch (undici): 56 ms of CPU against 7 ms for require() in one process
// on Node 24.22 (9 against 7 on Node 20), at the start of every app that registers the plugin.
import { createRequire } from 'node:module'

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http')

export const { request, ServerResponse, STATUS_CODES } = http
