// Module customization hooks of a generation's child (registered by child.ts): every module the
// app loads, ES or CommonJS through import, is reported on the port child.ts passes as `data`.
import type { MessagePort } from 'node:worker_threads'

let port: MessagePort | undefined

export function initialize (data: { port: MessagePort }): void {
  port = data.port
}

export async function load (url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  port?.postMessage(url)
  return await nextLoad(url, context)
}
