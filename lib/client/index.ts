// The browser client: connects to the channel and reloads or swaps stylesheets when told to.
// Browser code only: no node: imports. Console lines carry the [livereload] prefix.
import type { ServerMessage } from '../../types/index.js'

const kStarted = Symbol.for('fastify-livereload')
const host = window as unknown as Record<symbol, boolean>

if (host[kStarted] !== true) {
  host[kStarted] = true
  start()
}

function start (): void {
  const script = document.currentScript as HTMLScriptElement | null
  // The channel sits beside this script, so a prefix or a reverse proxy needs no configuration.
  const channel = new URL(script?.src ?? '/__livereload/client.js', location.href)
  channel.pathname = channel.pathname.replace(/\/client\.js$/, '')
  channel.search = ''
  channel.protocol = channel.protocol === 'https:' ? 'wss:' : 'ws:'
  let instance: string | undefined
  let attempt = 0

  function connect (): void {
    const ws = new WebSocket(channel)
    ws.onopen = () => { attempt = 0 }
    ws.onmessage = event => handle(JSON.parse(String(event.data)) as ServerMessage)
    ws.onclose = () => {
      const delay = Math.min(5000, 100 * 2 ** attempt++) * (0.5 + Math.random() / 2)
      setTimeout(connect, delay)
    }
  }

  function handle (message: ServerMessage): void {
    switch (message.type) {
      case 'hello':
        // A different instance means the server restarted: its code may have changed.
        if (instance !== undefined && instance !== message.instance) location.reload()
        instance = message.instance
        break
      case 'reload':
        location.reload()
        break
      case 'css':
        swapStylesheets(message.paths)
        break
      case 'building':
      case 'error':
      case 'clear':
        break
      default:
        message satisfies never
    }
  }

  connect()
}

/** Swaps the stylesheets whose URL path changed (all of them when none matches), without a flash. */
function swapStylesheets (paths: string[]): void {
  const links = [...document.querySelectorAll<HTMLLinkElement>('link[rel~="stylesheet"][href]')]
  const matching = links.filter(link => paths.includes(new URL(link.href).pathname))
  for (const link of matching.length > 0 ? matching : links) {
    const url = new URL(link.href)
    url.searchParams.set('livereload', String(Date.now()))
    const clone = link.cloneNode() as HTMLLinkElement
    clone.href = url.href
    const done = (): void => link.remove()
    clone.addEventListener('load', done, { once: true })
    clone.addEventListener('error', done, { once: true })
    link.after(clone)
  }
}
