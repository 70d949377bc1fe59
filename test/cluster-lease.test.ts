// The lease alone, against a real redis-server: when a follower tries (at the holder's expiry, as
// Redis reports it, never on a poll), and what a holder does when it finds its key taken. Every
// try is counted through the link's own command, so "no polling" is a count, not a clock.
import { once } from 'node:events'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { clusterKeys } from '../lib/cluster/keys.js'
import { createLease, type Lease } from '../lib/cluster/lease.js'
import { connectRedis, type RedisLink } from '../lib/cluster/redis.js'
import { realWorld } from '../lib/world.js'
import { eventually } from './helpers/eventually.js'
import { collectingLogger } from './helpers/log.js'
import { startRedis, type RedisServer } from './helpers/redis.js'

const TTL = 3000

interface Follower {
  lease: Lease
  link: RedisLink
  /** How many times it asked Redis for the lease, and renewed it. */
  tries: () => number
  renewals: () => number
  acquired: Promise<number>
  /** Each acquisition's `isLate`. */
  late: boolean[]
  lost: string[]
  leaders: Array<string | null>
}

async function follower (t: Test, url: string, key: string, id: string): Promise<Follower> {
  const link = await connectRedis(url, TTL / 4, collectingLogger().log, key)
  t.teardown(() => link.close())
  const acquire = link.commands.lrAcquire.bind(link.commands)
  const renew = link.commands.lrRenew.bind(link.commands)
  let tries = 0
  let renewals = 0
  link.commands.lrAcquire = async (...args) => { tries++; return await acquire(...args) }
  link.commands.lrRenew = async (...args) => { renewals++; return await renew(...args) }
  const late: boolean[] = []
  let onAcquired: (epoch: number, isLate: boolean) => void = () => {}
  const acquired = new Promise<number>(resolve => { onAcquired = (epoch, isLate) => { late.push(isLate); resolve(epoch) } })
  const lost: string[] = []
  const leaders: Array<string | null> = []
  const lease = createLease(link, clusterKeys(key), id, TTL, {
    onAcquired,
    onLost: reason => { lost.push(reason) },
    onLeader: leader => { leaders.push(leader) }
  }, realWorld)
  t.teardown(() => lease.close())
  if (!link.isUp) await new Promise<void>(resolve => { link.onUp(resolve) })
  return { lease, link, tries: () => tries, renewals: () => renewals, acquired, late, lost, leaders }
}

/** A redis-server, and a connection of the test's own to it: the other processes' side of the lease. */
async function redisAndAdmin (t: Test): Promise<{ redis: RedisServer, admin: Redis }> {
  const redis = await startRedis(t)
  const admin = new Redis(redis.url)
  t.teardown(() => admin.quit())
  await once(admin, 'ready')
  return { redis, admin }
}

t.test('a dead holder\'s lease is taken as it expires: one try that finds it held, one when Redis says it ends', async t => {
  const { redis, admin } = await redisAndAdmin(t)
  const keys = clusterKeys('expiry')
  // Connected first (a follower's start takes seconds on a loaded machine), then a leader that
  // died with 2 s of its lease left: what is left of it is all the follower waits for.
  const one = await follower(t, redis.url, 'expiry', 'follower')
  await admin.set(keys.lease, 'dead-holder', 'PX', 2000)
  one.lease.resume()
  await one.acquired
  t.equal(await admin.get(keys.lease), 'follower', 'the follower holds it')
  t.equal(one.tries(), 2, 'two tries: the first found it held and learned when it ends; the second took it')
  t.same(one.late, [false], 'each try answered: not late')
  t.same(one.leaders, ['dead-holder', 'follower'])
})

t.test('a try whose reply was lost (Redis took the lease, the answer timed out) takes it again as the same leader, epoch 1, and says it is late', async t => {
  const redis = await startRedis(t)
  const one = await follower(t, redis.url, 'lost-reply', 'first')
  const acquire = one.link.commands.lrAcquire.bind(one.link.commands)
  let isLost = true
  one.link.commands.lrAcquire = async (...args) => {
    const reply = await acquire(...args)
    if (!isLost) return reply
    isLost = false
    throw new Error('Command timed out') // as ioredis says it when commandTimeout passes
  }
  one.lease.resume()
  t.equal(await one.acquired, 1, 'the first leader of this cluster run, on its second try')
  t.equal(one.tries(), 2)
  t.same(one.late, [true], 'late: it may have led unknowingly since the first try (the node builds everything then)')
})

t.test('a live holder keeps its lease: the follower asks again each time it would have ended, not on a poll', async t => {
  const redis = await startRedis(t)
  const holder = await follower(t, redis.url, 'live', 'holder')
  holder.lease.resume()
  await holder.acquired
  const other = await follower(t, redis.url, 'live', 'other')
  other.lease.resume()
  // Renewed every quarter of the TTL, the lease always has ¾ of it or more left: the follower
  // asks once per three renewals or so, where a poll every sixth of the TTL asked more often
  // than the holder renewed.
  await eventually(() => other.tries() >= 3, 3 * TTL + 5000, 'the follower\'s third try')
  t.ok(other.tries() < holder.renewals(), `${other.tries()} tries while the holder renewed ${holder.renewals()} times`)
  t.ok(holder.lease.isLeader, 'the holder still leads')
  t.equal(other.lease.isLeader, false)
  t.same(other.leaders, ['holder'], 'the follower saw the holder, and only it')
})

t.test('a try asked for while one is out runs again after it: a release is not answered with the old expiry', async t => {
  const { redis, admin } = await redisAndAdmin(t)
  const keys = clusterKeys('asked')
  await admin.set(keys.lease, 'leaving', 'PX', 60_000)
  const one = await follower(t, redis.url, 'asked', 'follower')
  one.lease.resume()                                    // a try goes out, and will find 'leaving'
  const released = one.link.commands.del(keys.lease)    // then, on the same connection, the holder's release
  one.lease.tryNow()                                    // and the try its `released` message asks for
  await released
  await eventually(() => one.lease.isLeader, 10_000, 'the lease taken after its release, not at its old expiry 60 s away')
  t.equal(await one.acquired, 1)
  t.equal(one.tries(), 2, 'the try asked for meanwhile ran once the one that was out had its answer')
})

t.test('a holder that finds its key taken (it expired during a pause, and another took it) steps down', async t => {
  const { redis, admin } = await redisAndAdmin(t)
  const keys = clusterKeys('taken')
  const one = await follower(t, redis.url, 'taken', 'holder')
  one.lease.resume()
  await one.acquired
  await admin.set(keys.lease, 'usurper', 'PX', 60_000)
  await eventually(() => one.lost.length > 0, TTL, 'the next renewal')
  t.same(one.lost, ['the lease was found taken'])
  t.equal(one.lease.isLeader, false)
  await eventually(() => one.leaders.at(-1) === 'usurper', TTL, 'the new holder seen')
  t.same(one.leaders, ['holder', null, 'usurper'], 'it led, stepped down, and then saw who holds it')
})
