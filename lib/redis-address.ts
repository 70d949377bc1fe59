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
