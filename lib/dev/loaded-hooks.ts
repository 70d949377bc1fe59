// Module customization hooks of a standby's child on Node < 22.15 (registered by child.ts, in a
// thread of their own, started while the standby waits): every module the app loads, ES or
// CommonJS through import, is reported on the port child.ts passes as `data`, with a hash of the
// app's own files as they were when loaded.
import type { MessagePort } from 'node:worker_threads'
import { appFileHash } from './app-file-hash.js'

let port: MessagePort | undefined

export function initialize (data: { port: MessagePort }): void {
  port = data.port
}

export async function load (url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  port?.postMessage([url, appFileHash(url)])
  return await nextLoad(url, context)
}
