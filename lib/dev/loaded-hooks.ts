// Module customization hooks of a generation's child, on Node 20 (registered by child.ts, which on
// Node ≥ 22.15 runs appFileHash in hooks of its own thread): every module the app loads, ES or
// CommonJS through import, is reported on the port child.ts passes as `data`, with a hash of the
// app's own files as they were when loaded.
import { fileURLToPath } from 'node:url'
import type { MessagePort } from 'node:worker_threads'
import { contentHash } from './content-hash.js'

let port: MessagePort | undefined

export function initialize (data: { port: MessagePort }): void {
  port = data.port
}

export async function load (url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  port?.postMessage([url, appFileHash(url)]) // read before the loader reads it: a later write can only make the hash stale, never fresh
  return await nextLoad(url, context)
}

/**
 * The hash of an app's file (not node_modules'): what tells the supervisor whether a change it
 * hears of later is already in this version, or is newer. The file is read here rather than the
 * loader's source hashed: a TypeScript loader (tsx) hands on its output, not the file.
 */
export function appFileHash (url: string): string | null {
  return !url.startsWith('file:') || url.includes('/node_modules/') ? null : contentHash(fileURLToPath(url))
}
