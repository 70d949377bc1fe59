import { networkInterfaces } from 'node:os'
import type { FastifyInstance } from 'fastify'

/** A busy port moves on at most this many times before the command gives up. */
export const PORT_TRIES = 20

/** Where the server listens, and the URLs that reach it. */
export interface Listening {
  readonly port: number
  /** The URL to open: loopback for a wildcard address. */
  readonly url: string
  /** Every interface's URL when listening on all of them. */
  readonly networkUrls: readonly string[]
  /** The port asked for was busy: this is the one taken instead. */
  readonly movedFrom: number | null
}

/**
 * Listens on `host`:`port`, or (unless `isStrict`) on the next free port after a busy one. A
 * busy port with `isStrict`, or twenty in a row, rejects with the server's EADDRINUSE. The URLs
 * are `protocol`'s: what the server speaks.
 */
export async function listen (app: FastifyInstance, host: string, port: number, isStrict: boolean, protocol: 'http' | 'https' = 'http'): Promise<Listening> {
  for (let tries = 0; ; tries++) {
    const wanted = port === 0 ? 0 : port + tries
    try {
      await app.listen({ host, port: wanted })
      const actual = (app.server.address() as { port: number }).port
      const networkUrls = isWildcard(host) ? networkAddresses(host).map(address => urlOf(protocol, address, actual)) : []
      return { port: actual, url: urlOf(protocol, isWildcard(host) ? 'localhost' : host, actual), networkUrls, movedFrom: tries > 0 ? port : null }
    } catch (err) {
      const isBusy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      if (!isBusy || isStrict || port === 0 || tries + 1 >= PORT_TRIES || wanted >= 65535) throw err
    }
  }
}

export function isWildcard (host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]'
}

function urlOf (protocol: string, host: string, port: number): string {
  return `${protocol}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`
}

/** Every external address a wildcard `host` listens on (IPv4 only for 0.0.0.0): what a phone on the network can reach. */
export function networkAddresses (host: string): string[] {
  const found: string[] = []
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal || (host === '0.0.0.0' && address.family !== 'IPv4')) continue
      if (address.family === 'IPv6' && address.scopeid !== undefined && address.scopeid !== 0) continue // link-local: not a URL a phone can use
      found.push(address.address)
    }
  }
  return found
}
