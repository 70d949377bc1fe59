import { once } from 'node:events'
import { connect, type Socket } from 'node:net'

export interface RawResponse {
  /** Everything the server wrote, as latin1 text (bytes preserved). */
  raw: string
  status: number
  headers: Record<string, string>
  body: string
  /** True when the server neither answered nor ended the connection in time. */
  timedOut: boolean
}

/**
 * Sends bytes exactly as given over a plain TCP socket (no URL parsing, no normalisation) and
 * collects everything until the server ends the connection. `Connection: close` is the
 * caller's business; the socket is ended after `timeoutMs` at the latest, so a test never hangs.
 */
export async function rawRequest (port: number, request: string | Buffer, { timeoutMs = 5000, endOn101 = false } = {}): Promise<RawResponse> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {}) // a reset after the answer is fine: what was read counts
  const chunks: Buffer[] = []
  socket.on('data', chunk => {
    chunks.push(chunk)
    // An accepted upgrade stays open: once its head is complete, we have what we came for.
    if (endOn101 && /^HTTP\/1\.1 101 [^]*\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1'))) socket.destroy()
  })
  await once(socket, 'connect')
  socket.write(request)
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; socket.destroy() }, timeoutMs)
  await once(socket, 'close')
  clearTimeout(timer)
  return { ...parse(Buffer.concat(chunks).toString('latin1')), timedOut }
}

/** A GET (or other method) with `Connection: close`, the path written byte for byte. */
export function rawGet (port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close']
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  return rawRequest(port, lines.join('\r\n') + '\r\n\r\n')
}

export function parse (raw: string): Omit<RawResponse, 'timedOut'> {
  const end = raw.indexOf('\r\n\r\n')
  const head = end === -1 ? raw : raw.slice(0, end)
  const [statusLine, ...lines] = head.split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0)
  return { raw, status, headers, body: end === -1 ? '' : raw.slice(end + 4) }
}

/** A raw socket that completed a WebSocket handshake to `path`; what follows is up to the caller. */
export async function rawWebSocket (port: number, path = '/__livereload'): Promise<{ socket: Socket, head: string, received: Buffer[] }> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  const received: Buffer[] = []
  await once(socket, 'connect')
  socket.write([`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
    'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', '', ''].join('\r\n'))
  let buffered = Buffer.alloc(0)
  while (!buffered.includes('\r\n\r\n')) {
    const [chunk] = await once(socket, 'data') as [Buffer]
    buffered = Buffer.concat([buffered, chunk])
  }
  const end = buffered.indexOf('\r\n\r\n') + 4
  const head = buffered.subarray(0, end).toString('latin1')
  if (buffered.length > end) received.push(buffered.subarray(end))
  socket.on('data', chunk => received.push(chunk))
  return { socket, head, received }
}

/** One client-to-server frame (masked, as RFC 6455 requires of clients), built by hand. */
export function frame (opcode: number, payload: Buffer, { fin = true, masked = true, length = payload.length, rsv = 0 } = {}): Buffer {
  const header: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
  const mask = masked ? 0x80 : 0
  if (length < 126) header.push(mask | length)
  else if (length < 65536) header.push(mask | 126, length >> 8, length & 0xff)
  else {
    header.push(mask | 127)
    const big = Buffer.alloc(8)
    big.writeBigUInt64BE(BigInt(length))
    header.push(...big)
  }
  if (!masked) return Buffer.concat([Buffer.from(header), payload])
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78])
  const body = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]))
  return Buffer.concat([Buffer.from(header), key, body])
}
