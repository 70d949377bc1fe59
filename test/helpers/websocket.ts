import WebSocket from 'ws'

/** The HTTP status of a WebSocket upgrade attempt with a real client: 101 when it opened. */
export async function upgradeStatus (port: number, headers: Record<string, string> = {}, path = '/__livereload'): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers })
  return await new Promise(resolve => {
    ws.on('open', () => { ws.close(); resolve(101) })
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('error', () => {})
  })
}

/**
 * What the Origin/Host guard decides alike on every WebSocket route, for a server on `port`
 * whose allowedOrigins is ['https://ok.example']: [name, upgrade headers, status].
 */
export function guardCases (port: number): Array<[string, Record<string, string>, number]> {
  return [
    ['no Origin (a tool, an extension\'s background page)', {}, 101],
    ['the page\'s own origin', { origin: `http://127.0.0.1:${port}` }, 101],
    ['an allowed origin', { origin: 'https://ok.example' }, 101],
    ['a foreign origin', { origin: 'https://evil.example' }, 403],
    ['a null origin', { origin: 'null' }, 403],
    ['a file: origin', { origin: 'file://' }, 403],
    ['an IP origin that is not the Host', { origin: `http://127.0.0.2:${port}` }, 403],
    ['a rebinding Host', { host: `evil.example:${port}` }, 403],
    ['a malformed Host', { host: 'a b' }, 400]
  ]
}
