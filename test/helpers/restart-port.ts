// A loopback port for a server a test stops and starts again on the same port (Redis, an
// upstream restarting). Not the OS's pick for port 0: that comes from the kernel's ephemeral
// range, and while the server is down any socket of the machine can be given the port, a
// `listen(0)` of another test or a client's connection, after which the server cannot listen
// there again (a loaded run's Redis restart: "Address already in use"). A port below that range
// is never handed out so; one is picked at random and checked free.
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** The first port the kernel hands out by itself (Linux's ip_local_port_range; its default where that cannot be read). */
function ephemeralStart (): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
  } catch {
    return 32768
  }
}

const FIRST = 10_000
/** A guard against a machine where every port tried is taken, not a wait. */
const TRIES = 50

/** A port below the ephemeral range that nothing listens on now. */
export async function restartablePort (): Promise<number> {
  const end = Math.max(ephemeralStart(), FIRST + 1000) // a range that starts lower: ports of it, as before
  for (let tries = 0; tries < TRIES; tries++) {
    const port = FIRST + Math.floor(Math.random() * (end - FIRST))
    const probe = createServer()
    probe.listen(port, '127.0.0.1')
    const isFree = await once(probe, 'listening').then(() => true, () => false)
    if (!isFree) continue
    probe.close()
    await once(probe, 'close')
    return port
  }
  throw new Error(`no free loopback port in ${FIRST}–${end - 1} after ${TRIES} tries`)
}
