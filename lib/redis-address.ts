// Where a Redis is, as logs and messages show it (the cluster's, the shard queue's): never its password.
import type { RedisConnectionOptions } from '../types/index.js'

/** The URL with `***` for its password (so it shows one was given), or host and port, or the socket's path. */
export function displayRedis (redis: string | Readonly<RedisConnectionOptions>): string {
  if (typeof redis !== 'string') return redis.path ?? `${redis.host ?? '127.0.0.1'}:${redis.port ?? 6379}`
  try {
    const url = new URL(redis)
    if (url.password !== '') url.password = '***'
    return url.href
  } catch {
    return redis
  }
}

/**
 * `err` with the password taken out of the command it failed on: ioredis puts the failed command
 * on its errors (`HELLO 3 AUTH <user> <password>`, `AUTH [user] <password>`), and a logger
 * serialises it whole. Changed in place, so that every listener of the error sees it so.
 */
export function withoutPassword<E> (err: E): E {
  const command = (err as { command?: { name?: unknown, args?: unknown } } | null)?.command
  if (command === undefined || !Array.isArray(command.args)) return err
  const args = command.args.map(String)
  const auth = args.findIndex(arg => arg.toUpperCase() === 'AUTH')
  if (String(command.name).toLowerCase() === 'auth') args[args.length - 1] = '***'
  else if (auth !== -1 && auth + 2 < args.length) args[auth + 2] = '***'
  else return err
  command.args = args
  return err
}
