// The Lua scripts the cluster runs in Redis: each reads and writes its keys in one step, so
// two processes never interleave inside one. Time comes from Redis (TIME), never from a process.
import type { Redis } from 'ioredis'

export interface Scripts {
  /**
   * Takes the lease if free (or still ours: then the epoch it had): [1, epoch], the count of leaders so far; else
   * [0, holder, the ms until the holder's lease expires].
   */
  lrAcquire (lease: string, epoch: string, id: string, ttl: number): Promise<[1, number] | [0, string, number]>
  /** Extends the lease if `id` holds it: 1, else 0. */
  lrRenew (lease: string, id: string, ttl: number): Promise<number>
  /** Deletes the lease if `id` holds it. */
  lrRelease (lease: string, id: string): Promise<number>
  /**
   * Marks `id` alive until `ttl` from now with its `clients`, after dropping members past their
   * time. With no member alive (this one included), `candidate` becomes the cluster's instance:
   * a new cluster run, whose leaders, standing error and messages start over. Returns
   * [instance, clients of all members, members].
   */
  lrHeartbeat (members: string, clients: string, instance: string, epoch: string, seq: string, error: string,
    id: string, ttl: number, count: number, candidate: string): Promise<[string, number, number]>
  /** Removes `id` from the members. */
  lrLeave (members: string, clients: string, id: string): Promise<number>
  /**
   * Numbers `envelope` (a JSON object without `seq`), keeps or forgets it as the standing error
   * (`standing`: 'set', 'keep' or 'del') and publishes it on `channel`. Returns its number.
   */
  lrPublish (seq: string, error: string, channel: string, envelope: string, standing: 'set' | 'keep' | 'del', ttl: number): Promise<number>
}

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

const SCRIPTS: Record<keyof Scripts, { numberOfKeys: number, lua: string }> = {
  lrAcquire: {
    numberOfKeys: 2,
    // Still ours (the reply to the try that took it was lost: a command timed out on a busy
    // machine): the same leader, not one more.
    lua: `local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  local epoch = redis.call('GET', KEYS[2])
  if epoch then return {1, tonumber(epoch)} end
  return {1, redis.call('INCR', KEYS[2])}
end
if holder then return {0, holder, redis.call('PTTL', KEYS[1])} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, redis.call('INCR', KEYS[2])}`
  },
  lrRenew: {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`
  },
  lrRelease: {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
  },
  lrHeartbeat: {
    numberOfKeys: 6,
    lua: `${NOW}
local ttl = tonumber(ARGV[2])
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do redis.call('HDEL', KEYS[2], member) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local instance = redis.call('GET', KEYS[3])
if redis.call('ZCARD', KEYS[1]) == 0 or not instance then
  instance = ARGV[4]
  redis.call('SET', KEYS[3], instance)
  redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local total = 0
for _, count in ipairs(redis.call('HVALS', KEYS[2])) do total = total + tonumber(count) end
for i = 1, 6 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ttl * 2) end
end
return {instance, total, redis.call('ZCARD', KEYS[1])}`
  },
  lrLeave: {
    numberOfKeys: 2,
    lua: `redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])`
  },
  lrPublish: {
    numberOfKeys: 2,
    lua: `local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) * 2)
local envelope = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
if ARGV[3] == 'set' then redis.call('SET', KEYS[2], envelope, 'PX', tonumber(ARGV[4]) * 2)
elseif ARGV[3] == 'del' then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[1], envelope)
return seq`
  }
}

/** `redis` with the scripts as commands (ioredis sends each by its SHA, and its text when Redis lacks it). */
export function defineScripts (redis: Redis): Redis & Scripts {
  for (const [name, { numberOfKeys, lua }] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys, lua })
  return redis as Redis & Scripts
}
