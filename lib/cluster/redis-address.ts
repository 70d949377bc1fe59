import type { RedisOptions } from 'ioredis'

/** Where Redis is, for the log: the URL or host and port, never a password. */
export function displayRedis (redis: string | Readonly<RedisOptions>): string {
  if (typeof redis !== 'string') return redis.path ?? `${redis.host ?? '127.0.0.1'}:${redis.port ?? 6379}`
  const url = new URL(redis)
  url.username = ''
  url.password = ''
  return url.href
}
