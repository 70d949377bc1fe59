// The two Redis connections a cluster process holds (commands, and the subscriber pub/sub needs
// to itself), and whether Redis is reachable: one warning when it is lost, one line when it is back.
import type { FastifyBaseLogger } from 'fastify'
import type { Redis, RedisOptions } from 'ioredis'
import type { RedisConnectionOptions } from '../../types/index.js'
import { importOptional } from '../optional.js'
import { displayRedis, withoutPassword } from '../redis-address.js'
import { defineScripts, type Scripts } from './scripts.js'

export interface RedisLink {
  /** Commands and scripts. Fails at once while Redis is unreachable (no offline queue): nothing stale is sent later. */
  readonly commands: Redis & Scripts
  /** Subscriptions only; ioredis subscribes again after every reconnection. */
  readonly subscriber: Redis
  /** Whether both connections are ready now. */
  readonly isUp: boolean
  /** Runs `listener` each time both connections are ready: at first and after every outage. */
  onUp (listener: () => void): void
  /** Runs `listener` when Redis is lost (once per outage). */
  onDown (listener: () => void): void
  /** Every connection error and failed command, for whoever counts them. */
  onError (listener: (err: Error) => void): void
  /** Reports a failed command: logged at debug, counted, never thrown on. */
  failed (err: unknown): void
  close (): Promise<void>
}

/**
 * Connects (without waiting: Redis may be down at start, and the app serves anyway). ioredis
 * reconnects forever with its backoff; `commandTimeout` bounds a command to a Redis that stopped
 * answering, so a lease renewal cannot hang.
 */
export async function connectRedis (redis: string | Readonly<RedisConnectionOptions>, commandTimeout: number, log: FastifyBaseLogger): Promise<RedisLink> {
  const { Redis } = await importOptional<typeof import('ioredis')>('ioredis', 'for the cluster option')
  const shared: RedisOptions = { commandTimeout, maxRetriesPerRequest: 0, connectionName: 'fastify-livereload' }
  const open = (extra: RedisOptions): Redis => typeof redis === 'string' ? new Redis(redis, { ...shared, ...extra }) : new Redis({ ...redis, ...shared, ...extra })
  const commands = defineScripts(open({ enableOfflineQueue: false, autoResendUnfulfilledCommands: false }))
  const subscriber = open({ commandTimeout: undefined })
  const where = displayRedis(redis)
  const ups: Array<() => void> = []
  const downs: Array<() => void> = []
  const errors: Array<(err: Error) => void> = []
  let isUp = false
  let hasWarned = false // per outage: ioredis retries every couple of seconds, each one an error
  let isClosing = false

  const report = (err: Error): void => { for (const listener of errors) listener(err) }
  function settle (): void {
    const isReady = commands.status === 'ready' && subscriber.status === 'ready'
    if (isReady === isUp || isClosing) return
    isUp = isReady
    if (isUp) {
      if (hasWarned) log.info({ redis: where }, 'cluster: Redis is back; rejoining')
      hasWarned = false
      for (const listener of ups) listener()
    } else {
      lost()
    }
  }
  function lost (err?: Error): void {
    if (!hasWarned && !isClosing) {
      hasWarned = true
      log.warn({ redis: where, err }, `cluster: Redis at ${where} is unreachable; this process keeps serving, its browsers get no build messages until it is back, and it retries on its own`)
      for (const listener of downs) listener()
    }
  }
  for (const connection of [commands, subscriber]) {
    connection.on('error', (failed: Error) => {
      const err = withoutPassword(failed)
      report(err)
      log.debug({ err }, 'cluster: Redis connection error')
      if (!isUp) lost(err) // never connected yet: this error is the first news of it
    })
    connection.on('ready', settle)
    connection.on('close', settle)
  }
  return {
    commands,
    subscriber,
    get isUp () { return isUp },
    onUp: listener => { ups.push(listener) },
    onDown: listener => { downs.push(listener) },
    onError: listener => { errors.push(listener) },
    failed (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      report(error)
      log.debug({ err: error }, 'cluster: Redis command failed')
    },
    async close () {
      isClosing = true
      // quit() lets what was sent finish; on a connection that is down it would wait for a reconnection.
      await Promise.all([commands, subscriber].map(async connection => {
        if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect())
        else connection.disconnect()
      }))
    }
  }
}
