// A real redis-server (Debian's package: apt-get install redis-server) on a free loopback port,
// for the tests that need one. Nothing is saved to disk; the server is stopped with the test.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { Test } from 'tap'
import { restartablePort } from './restart-port.js'

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Stops the server (SIGTERM, or SIGKILL for a crash) and waits for it to exit. */
  stop (signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
  /** Starts it again on the same port, empty (nothing is persisted). */
  start (): Promise<void>
}

/** A redis-server that listens on a free loopback port, stopped when `t` ends. */
export async function startRedis (t: Test): Promise<RedisServer> {
  const port = await restartablePort() // started again on it by some tests
  let child: ChildProcess | null = null
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop (signal = 'SIGTERM') {
      const running = child
      child = null
      if (running === null || running.exitCode !== null || running.signalCode !== null) return
      const exited = once(running, 'exit')
      running.kill(signal)
      await exited
    },
    async start () {
      if (child !== null) throw new Error('redis-server is already running')
      child = await launch(port)
    }
  }
  await server.start()
  t.teardown(async () => { await server.stop('SIGKILL') })
  return server
}

/** redis-server on `port`, resolved once it says it accepts connections. */
async function launch (port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject) // not installed: ENOENT
    child.once('exit', code => { reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)) })
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      if (output.includes('Ready to accept connections')) resolve()
    })
  })
  child.removeAllListeners('exit')
  child.stdout!.resume()
  return child
}
