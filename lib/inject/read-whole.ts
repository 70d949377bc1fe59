import { Readable } from 'node:stream'

export type WholeCallback = (err: Error | null, whole: Buffer | null, rest: Readable | null) => void

/**
 * Reads a stream to its end when it ends within `limit` bytes: `whole` is its bytes. Past the
 * limit it stops reading: `whole` is null and `rest` a stream of the same bytes, read and unread.
 */
export function readWhole (source: Readable, limit: number, callback: WholeCallback): void {
  const chunks: Buffer[] = []
  let length = 0
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    chunks.push(bytes)
    length += bytes.length
    if (length <= limit) return
    source.pause()
    detach()
    callback(null, null, Readable.from(resume(chunks, source), { objectMode: false }))
  }
  const onEnd = (): void => {
    detach()
    callback(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length), null)
  }
  const onError = (err: Error): void => {
    detach()
    callback(err, null, null)
  }
  function detach (): void {
    source.off('data', onData)
    source.off('end', onEnd)
    source.off('error', onError)
  }
  source.on('error', onError)
  source.on('end', onEnd)
  source.on('data', onData)
}

async function * resume (read: Buffer[], source: Readable): AsyncGenerator<Buffer> {
  yield * read
  for await (const chunk of source) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer
}
