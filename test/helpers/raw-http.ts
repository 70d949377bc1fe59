import { once } from 'node:events'
import { request } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { listen } from './app.js'

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

/**
 * A WebSocket upgrade request written by hand, so that nothing normalises the headers: `headers`
 * are added to (or replace) the usual ones, and one given as '' is left out.
 */
export function upgradeRequest (port: number, headers: Record<string, string> = {}, path = '/__livereload', version = 'HTTP/1.1'): string {
  const all: Record<string, string> = { Host: `127.0.0.1:${port}`, Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers }
  const lines = [`GET ${path} ${version}`]
  for (const [name, value] of Object.entries(all)) if (value !== '') lines.push(`${name}: ${value}`)
  return lines.join('\r\n') + '\r\n\r\n'
}

/** Sends an upgrade request and collects the answer: a refusal whole, an accepted upgrade up to the end of its head. */
export function rawUpgrade (port: number, headers: Record<string, string> = {}, path = '/__livereload', version = 'HTTP/1.1'): Promise<RawResponse> {
  return rawRequest(port, upgradeRequest(port, headers, path, version), { endOn101: true })
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
  socket.write(upgradeRequest(port, {}, path))
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

/** The close code in the first close frame the server sent (unmasked, server to client); null if none came. */
export function closeCode (received: Buffer[]): number | null {
  const all = Buffer.concat(received)
  let offset = 0
  while (offset + 2 <= all.length) {
    const opcode = all[offset] & 0x0f
    let length = all[offset + 1] & 0x7f
    let start = offset + 2
    if (length === 126) { length = all.readUInt16BE(start); start += 2 } else if (length === 127) { length = Number(all.readBigUInt64BE(start)); start += 8 }
    if (opcode === 0x8) return length >= 2 ? all.readUInt16BE(start) : 1005
    offset = start + length
  }
  return null
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

export interface FetchedResponse { status: number, headers: Record<string, string>, body: Buffer }

/** A request on a real socket, listening first if the app is not yet: what a browser gets, Content-Length and all. */
export async function fetchRaw (server: FastifyInstance, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<FetchedResponse> {
  const port = server.server.listening ? (server.server.address() as AddressInfo).port : await listen(server)
  const req = request({ port, host: '127.0.0.1', path, method, headers })
  req.end()
  const [res] = await once(req, 'response')
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk)
  return { status: res.statusCode as number, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks) }
}
