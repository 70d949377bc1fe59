import { once } from 'node:events'
import { get, type IncomingMessage } from 'node:http'

export interface SseEvent {
  /** The `event:` field; `undefined` for a comment-only block. */
  event?: string
  data?: string
  retry?: number
  comment?: string
}

export interface EventStream {
  response: IncomingMessage
  /** Every block received so far, comments and the retry hint included. */
  events: SseEvent[]
  /** Resolves with the next block that matches (from those not yet received). */
  next (match: (event: SseEvent) => boolean): Promise<SseEvent>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close (): void
}

/** GET a URL with a raw HTTP client; for a 200, parses the body as Server-Sent Events as it arrives. */
export async function openEvents (url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const request = get(url, { headers })
  const [response] = await once(request, 'response') as [IncomingMessage]
  const events: SseEvent[] = []
  const waiters: Array<{ match: (event: SseEvent) => boolean, resolve: (event: SseEvent) => void }> = []
  let buffer = ''
  response.setEncoding('utf8')
  response.on('data', (chunk: string) => {
    buffer += chunk
    let end: number
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const event = parseBlock(buffer.slice(0, end))
      buffer = buffer.slice(end + 2)
      events.push(event)
      for (const waiter of waiters.filter(w => w.match(event))) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(event)
      }
    }
  })
  const ended = new Promise<void>(resolve => {
    response.once('end', resolve)
    response.once('close', resolve)
  })
  response.on('error', () => {})
  request.on('error', () => {})
  return {
    response,
    events,
    next: match => new Promise(resolve => waiters.push({ match, resolve })),
    ended,
    close: () => request.destroy()
  }
}

function parseBlock (block: string): SseEvent {
  const event: SseEvent = {}
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':')
    const field = line.slice(0, colon)
    const value = line.slice(colon + 1).replace(/^ /, '')
    if (field === '') event.comment = value
    else if (field === 'event') event.event = value
    else if (field === 'data') event.data = value
    else if (field === 'retry') event.retry = Number(value)
  }
  return event
}

/** The parsed data of the next event of that type. */
export async function nextEvent (stream: EventStream, type: string): Promise<unknown> {
  const event = await stream.next(e => e.event === type)
  return JSON.parse(event.data as string)
}
