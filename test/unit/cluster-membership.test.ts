// The cluster's membership (lib/cluster/membership.ts) on a fake clock and a fake Redis link:
// when it beats, what it learns from a beat, and that a failed beat stops nothing.
import t from 'tap'
import { clusterKeys } from '../../lib/cluster/keys.js'
import { createMembership } from '../../lib/cluster/membership.js'
import type { RedisLink } from '../../lib/cluster/redis.js'
import { fakeWorld } from '../helpers/fake-world.js'

const INTERVAL = 1000

function fakeMembership () {
  const fake = fakeWorld()
  const beats: Array<{ clients: number, candidate: string }> = []
  const failures: string[] = []
  const adopted: string[] = []
  /** What the next beats answer: the cluster's instance, its browsers and its live processes; an Error fails them. */
  let reply: [string, number, number] | Error = ['cluster-1', 7, 2]
  const link = {
    isUp: true,
    commands: {
      lrHeartbeat: async (...args: unknown[]) => {
        beats.push({ clients: args[8] as number, candidate: args[9] as string })
        if (reply instanceof Error) throw reply
        return reply
      },
      lrLeave: async () => 1
    },
    succeeded: () => {},
    failed: (err: Error) => { failures.push(err.message) }
  }
  let clients = 3
  const membership = createMembership(link as unknown as RedisLink, clusterKeys('test'), 'me', 3000, {
    intervalMs: INTERVAL,
    clients: () => clients,
    instance: () => 'mine',
    onInstance: instance => adopted.push(instance)
  }, fake.world)
  const settled = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }
  return {
    fake,
    link,
    membership,
    beats,
    failures,
    adopted,
    settled,
    reply: (next: typeof reply) => { reply = next },
    setClients: (count: number) => { clients = count }
  }
}

t.test('before the first beat its own browsers count; a beat brings the cluster\'s count and instance', async t => {
  const m = fakeMembership()
  t.equal(m.membership.clients, 3, 'its own, before any beat')
  t.equal(m.membership.members, 0)
  await m.membership.resume()
  t.same(m.beats, [{ clients: 3, candidate: 'mine' }], 'one beat at once, with its browsers and its candidate instance')
  t.equal(m.membership.clients, 7, 'the cluster\'s browsers')
  t.equal(m.membership.members, 2)
  t.same(m.adopted, ['cluster-1'])
  await m.membership.close()
})

t.test('it beats every interval of the world\'s clock; pause stops the beats, resume starts them at once', async t => {
  const m = fakeMembership()
  await m.membership.resume()
  m.fake.advance(INTERVAL - 1)
  t.equal(m.beats.length, 1, 'nothing before the interval')
  m.setClients(4)
  m.fake.advance(1)
  await m.settled()
  t.same(m.beats.map(beat => beat.clients), [3, 4], 'a beat at the interval, with the browsers of now')
  m.fake.advance(3 * INTERVAL)
  t.equal(m.beats.length, 5, 'one each interval')
  m.membership.pause()
  t.equal(m.fake.nextTimerAt(), Infinity, 'paused: no timer')
  m.fake.advance(5 * INTERVAL)
  t.equal(m.beats.length, 5, 'no beat while paused')
  await m.membership.resume()
  t.equal(m.beats.length, 6, 'resumed: a beat at once')
  t.equal(m.fake.nextTimerAt() - m.fake.now, INTERVAL, 'and the next an interval on')
  await m.membership.close()
})

t.test('a failed beat is reported and the beats go on; once closed, none', async t => {
  const m = fakeMembership()
  m.reply(new Error('connection lost'))
  await m.membership.resume()
  t.same(m.failures, ['connection lost'])
  t.equal(m.membership.members, 0, 'nothing learnt')
  m.reply(['cluster-2', 1, 1])
  m.fake.advance(INTERVAL)
  await m.settled()
  t.same(m.adopted, ['cluster-2'], 'the next beat worked')
  await m.membership.close()
  t.equal(m.fake.nextTimerAt(), Infinity, 'closed: no timer')
  await m.membership.close()
  m.fake.advance(10 * INTERVAL)
  t.equal(m.beats.length, 2, 'no beat after close')
})
