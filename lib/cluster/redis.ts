// The two Redis connections a cluster process holds (commands, and the subscriber pub/sub needs
// to itself), and whether Redis is usable: reachable (one warning when it is lost, one line when
// it is back), and running the cluster's commands (one warning when its user may not: NOPERM).
import type { FastifyBaseLogger } from 'fastify'
import type { Redis, RedisOptions } from 'ioredis'
import type { RedisConnectionOptions } from '../../types/index.js'
import { importOptional } from '../optional.js'
import { displayRedis, withoutPassword } from '../redis-address.js'
import { defineScripts, type Scripts } from './scripts.js'

/** What the cluster does with Redis, each retried on its own: a refusal (NOPERM) of one lasts until it next works. */
export type RedisUse = 'lease' | 'heartbeat' | 'join' | 'publish' | 'control'

/**
 * What a Redis user needs for the cluster under `key`: its keys and channels, the commands its
 * scripts run (EVALSHA, EVAL when Redis lacks a script) and its own, and what ioredis sends on
 * connecting (INFO, its ready check; CLIENT SETNAME). As arguments of ACL SETUSER.
 */
export function aclRule (key: string): string {
  const commands = ['evalsha', 'eval', 'get', 'set', 'del', 'incr', 'exists', 'pexpire', 'pttl', 'time', 'zadd', 'zrem', 'zcard', 'zrangebyscore',
    'zremrangebyscore', 'hset', 'hdel', 'hvals', 'publish', 'subscribe', 'ping', 'info', 'client|setname']
  return [`~${key}:*`, `&${key}:*`, ...commands.map(command => `+${command}`)].join(' ')
}

/** Whether Redis refused a command because its user may not run it, or not on those keys or channels (ACL). */
export function isRefusal (err: unknown): boolean {
  return /\bNOPERM\b/.test((err as Error | null)?.message ?? '')
}

export interface RedisLink {
  /** Commands and scripts. Fails at once while Redis is unreachable (no offline queue): nothing stale is sent later. */
  readonly commands: Redis & Scripts
  /** Subscriptions only; ioredis subscribes again after every reconnection. */
  readonly subscriber: Redis
  /** Whether both connections are ready now. */
  readonly isUp: boolean
  /** Whether Redis refused (NOPERM) one of the cluster's uses the last time it was made: up, but not usable. */
  readonly isRefused: boolean
  /** Runs `listener` each time both connections are ready: at first and after every outage. */
  onUp (listener: () => void): void
  /** Runs `listener` when Redis is lost (once per outage). */
  onDown (listener: () => void): void
  /** Every connection error and failed command, for whoever counts them. */
  onError (listener: (err: Error) => void): void
  /**
   * Reports a failed command: logged at debug, counted, never thrown on. A refusal (NOPERM) of
   * `use` makes Redis unusable, with one warning, until every use refused has worked again.
   */
  failed (err: unknown, use?: RedisUse): void
  /** `use` worked: a refusal of it is over. */
  succeeded (use: RedisUse): void
  close (): Promise<void>
}

/**
 * Connects (without waiting: Redis may be down at start, and the app serves anyway). ioredis
 * reconnects forever with its backoff; `commandTimeout` bounds a command to a Redis that stopped
 * answering, so a lease renewal cannot hang.
 */
export async function connectRedis (redis: string | Readonly<RedisConnectionOptions>, commandTimeout: number, log: FastifyBaseLogger, key: string): Promise<RedisLink> {
  const { Redis } = await importOptional<typeof import('ioredis')>('ioredis', 'for the cluster option')
  const { commands, subscriber } = openConnections(Redis, redis, commandTimeout)
  const where = displayRedis(redis)
  const ups: Array<() => void> = []
  const downs: Array<() => void> = []
  const errors: Array<(err: Error) => void> = []
  let isUp = false
  let hasWarned = false // per outage: ioredis retries every couple of seconds, each one an error
  let isClosing = false
  /** The uses Redis refused the last time they were made, and its words. */
  const refused = new Map<RedisUse, string>()

  const report = (err: Error): void => { for (const listener of errors) listener(err) }
  function refuse (use: RedisUse, err: Error): void {
    const isNew = refused.size === 0
    refused.set(use, err.message)
    if (!isNew || isClosing) return
    log.warn({ redis: where, err }, `cluster: Redis at ${where} refused a command of the cluster's ${use} (${err.message}): its user lacks a permission the cluster needs. ` +
      `This process keeps serving, but it cannot lead nor hear the leader until that user has, for this cluster: ACL SETUSER <user> ${aclRule(key)}`)
  }
  function settle (): void {
    const isReady = commands.status === 'ready' && subscriber.status === 'ready'
    if (isReady === isUp || isClosing) return
    isUp = isReady
    if (isUp) {
      if (hasWarned) log.info({ redis: where }, 'cluster: Redis is back; rejoining')
      refused.clear() // each use says again, on the new connections, whether it may run
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
    get isRefused () { return refused.size > 0 },
    onUp: listener => { ups.push(listener) },
    onDown: listener => { downs.push(listener) },
    onError: listener => { errors.push(listener) },
    failed (err, use) {
      const error = err instanceof Error ? withoutPassword(err) : new Error(String(err))
      report(error)
      log.debug({ err: error }, 'cluster: Redis command failed')
      if (use !== undefined && isRefusal(error)) refuse(use, error)
    },
    succeeded (use) {
      if (!refused.delete(use) || refused.size > 0 || isClosing) return
      log.info({ redis: where }, 'cluster: Redis runs the cluster\'s commands now')
    },
    async close () {
      isClosing = true
      await closeConnections([commands, subscriber])
    }
  }
}

/** The two connections: commands with the scripts and no offline queue, and a subscriber whose commands never time out. */
function openConnections (Redis: typeof import('ioredis').Redis, redis: string | Readonly<RedisConnectionOptions>, commandTimeout: number): { commands: Redis & Scripts, subscriber: Redis } {
  const shared: RedisOptions = { commandTimeout, maxRetriesPerRequest: 0, connectionName: 'fastify-livereload' }
  const open = (extra: RedisOptions): Redis => typeof redis === 'string' ? new Redis(redis, { ...shared, ...extra }) : new Redis({ ...redis, ...shared, ...extra })
  const commands = defineScripts(open({ enableOfflineQueue: false, autoResendUnfulfilledCommands: false }))
  const subscriber = open({ commandTimeout: undefined })
  return { commands, subscriber }
}

async function closeConnections (connections: Redis[]): Promise<void> {
  // quit() lets what was sent finish; on a connection that is down it would wait for a reconnection.
  await Promise.all(connections.map(async connection => {
    if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect())
    else connection.disconnect()
  }))
}
