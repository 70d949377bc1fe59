// Whether a request comes from the machine the server runs on: the editor opens on this machine's
// screen, so only a person at it (or reaching it through a tunnel that ends here) may open it.
import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'

/** A peer's address (`request.socket.remoteAddress`): loopback, or one of this machine's own addresses. */
export function isThisMachine (address: string | undefined): boolean {
  if (address === undefined || isIP(address) === 0) return false
  const plain = address.replace(/^::ffff:(?=\d+\.)/i, '').toLowerCase()
  if (plain === '::1' || plain.startsWith('127.')) return true
  // Read on each request: interfaces come and go (a VPN, a Wi-Fi network).
  return Object.values(networkInterfaces()).some(list => list?.some(entry => entry.address.toLowerCase() === plain) === true)
}
