// The `cluster` option, resolved and checked at register time (ioredis itself loads later).
import { createHash } from 'node:crypto'
import type { RedisConnectionOptions } from '../../types/index.js'
import { option } from '../option.js'
import { integerOption, invalid, redisOption } from '../validate.js'

/** The leader's lease lasts this long without a renewal (ms): a SIGKILLed leader is replaced within it. */
export const DEFAULT_CLUSTER_TTL_MS = 3000
const MIN_CLUSTER_TTL_MS = 600

export interface ResolvedCluster {
  /** A `redis://` or `rediss://` URL, or ioredis options. */
  readonly redis: string | Readonly<RedisConnectionOptions>
  /** Prefix of every Redis key and channel of this site. */
  readonly key: string
  /** Lease time-to-live (ms). */
  readonly ttl: number
}

const KNOWN = ['redis', 'key', 'ttl']

export const CLUSTER_OPTIONS = {
  /** Coordination through Redis, or null: this process watches and builds on its own. */
  cluster: option<ResolvedCluster | null>(undefined, (value, { root = null, watch = [] }) => resolveCluster(value, root, watch))
}

/**
 * `cluster`, or null when absent or false. `key` defaults to a hash of the resolved `root` and
 * `watch`: processes started from one project share a key, two projects on one Redis do not.
 */
function resolveCluster (value: unknown, root: string | null, watch: readonly string[]): ResolvedCluster | null {
  if (value === undefined || value === false) return null
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('cluster', 'must be an object { redis, key?, ttl? }')
  const { redis, key, ttl } = value as Record<string, unknown>
  for (const name of Object.keys(value)) {
    if (!KNOWN.includes(name)) invalid(`cluster.${name}`, `is not an option; known: ${KNOWN.join(', ')}`)
  }
  return Object.freeze({
    redis: redisOption('cluster.redis', redis),
    key: key === undefined ? defaultKey(root, watch) : resolveKey(key),
    ttl: integerOption('cluster.ttl', ttl ?? DEFAULT_CLUSTER_TTL_MS, { min: MIN_CLUSTER_TTL_MS, unit: 'ms' })
  })
}

function resolveKey (value: unknown): string {
  if (typeof value !== 'string' || !/^[\w:.-]{1,100}$/.test(value)) {
    invalid('cluster.key', 'must be 1 to 100 letters, digits, "_", ":", "." or "-", such as "docs-site"')
  }
  return value
}

function defaultKey (root: string | null, watch: readonly string[]): string {
  const site = createHash('sha256').update(JSON.stringify([root, [...watch].sort()])).digest('base64url').slice(0, 16)
  return `livereload:${site}`
}
