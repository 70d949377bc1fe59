// Module customization hooks of a generation's child (registered by child.ts): every module the
// app loads, ES or CommonJS through import, is reported on the port child.ts passes as `data`,
// with a hash of the app's own files as they were when loaded.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { MessagePort } from 'node:worker_threads'

let port: MessagePort | undefined

export function initialize (data: { port: MessagePort }): void {
  port = data.port
}

export async function load (url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  port?.postMessage([url, contentHash(url)]) // read before the loader reads it: a later write can only make the hash stale, never fresh
  return await nextLoad(url, context)
}

/**
 * A hash of the content of an app's file (not node_modules'): what tells the supervisor whether a
 * change it hears of later is already in this version, or is newer.
 */
function contentHash (url: string): string | null {
  if (!url.startsWith('file:') || url.includes('/node_modules/')) return null
  try {
    return createHash('sha1').update(readFileSync(fileURLToPath(url))).digest('base64')
  } catch {
    return null
  }
}
