// The `cluster` option with real processes on one real Redis: one leader watches and builds,
// every process's browsers get every message once and in the same order, the standing error
// and the instance are the cluster's, and the controller acts for the whole cluster.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { ServerMessage } from '../types/index.js'
import { channelClient, type ChannelClient } from './helpers/cli.js'
import { buildLines, clusterSite, edit, isSequential, startNode, within, type ClusterProcess, type Site } from './helpers/cluster.js'
import { eventually } from './helpers/eventually.js'
import { startRedis } from './helpers/redis.js'

/** Generous: two cores shared with other test runs. */
const WAIT_MS = 20_000

/** Every process agrees on one leader, and each counts `count` live processes. */
async function settled (nodes: readonly ClusterProcess[], count = nodes.length): Promise<{ leader: ClusterProcess, followers: ClusterProcess[] }> {
  let leader: ClusterProcess | undefined
  await eventually(async () => {
    const all = await Promise.all(nodes.map(async node => (await node.stats()).cluster!))
    const leaders = all.filter(stats => stats.role === 'leader')
    if (leaders.length === 1 && all.every(stats => stats.leader === leaders[0].id && stats.processes === count)) leader = nodes[all.indexOf(leaders[0])]
    return leader !== undefined
  }, WAIT_MS, 'one leader that every process knows')
  return { leader: leader!, followers: nodes.filter(node => node !== leader) }
}

/**
 * The start-up build over and its messages (`building`, then `reload`) out: the leader has had
 * them back from Redis, which hands them to every subscribed process at once (one that joined
 * later never gets them). A browser that connects after gets none of them: the next are an edit's.
 */
async function startedUp (site: Site, nodes: readonly ClusterProcess[]): Promise<void> {
  await eventually(() => buildLines(site).some(line => line.event === 'end'), WAIT_MS, 'the start-up build')
  await eventually(async () => (await Promise.all(nodes.map(async node => (await node.stats()).messages))).some(messages => messages >= 2), WAIT_MS, 'the start-up build\'s messages')
}

/** The types each client got after its hello, up to a `clear` sent as a fence. */
async function fenced (via: ClusterProcess, clients: readonly ChannelClient[]): Promise<string[][]> {
  const cleared = clients.map(client => client.next('clear'))
  await via.send({ type: 'clear' })
  await within(Promise.all(cleared), 'the fence on every client')
  return clients.map(client => {
    const types = client.messages.slice(1).map(message => message.type)
    return types.slice(0, types.lastIndexOf('clear'))
  })
}

type Cluster = { site: Site, nodes: ClusterProcess[], redis: Awaited<ReturnType<typeof startRedis>> }

async function startCluster (t: Test, count: number, env: Record<string, string> = {}): Promise<Cluster> {
  const redis = await startRedis(t)
  const site = clusterSite(t)
  const nodes = await Promise.all(Array.from({ length: count }, async () => await startNode(t, site, redis.url, env)))
  return { site, nodes, redis }
}

/**
 * One cluster of three for the tests that neither stop a process nor need a fresh Redis: each
 * connects browsers of its own and counts builds from where it began (a process start costs
 * about a second of CPU).
 */
let three: Promise<Cluster> | undefined
const sharedCluster = (): Promise<Cluster> => (three ??= startCluster(t, 3))

t.test('one process of three leads; the status route and stats() say which, and count the cluster\'s browsers', async t => {
  const { nodes, site } = await sharedCluster()
  const { leader, followers } = await settled(nodes)
  const leaderStats = (await leader.stats()).cluster!
  for (const follower of followers) {
    const res = await fetch(`${follower.url}/__livereload/status`)
    const status = await res.json() as { cluster: Record<string, unknown>, watched: string[], clients: number }
    t.match(status.cluster, { role: 'follower', leader: leaderStats.id, processes: 3, redis: true })
    t.same(status.watched, [], 'a follower watches nothing')
  }
  t.match(leaderStats, { role: 'leader', leader: leaderStats.id })
  t.equal((await leader.stats()).watched.length, 2, 'the leader watches root and the sources')
  await startedUp(site, nodes)
  t.ok(buildLines(site).every(line => line.pid === leader.pid), 'only the leader built')

  const clients = await Promise.all(nodes.map(async (node, i) => await Promise.all(Array.from({ length: i + 1 }, async () => await channelClient(t, node.url)))))
  t.equal(clients.flat().length, 6)
  let seen: number[] = []
  await eventually(async () => {
    seen = await Promise.all(nodes.map(async node => (await node.stats()).cluster!.clients))
    return seen.every(count => count === 6)
  }, WAIT_MS, 'every process counting the cluster\'s 6 browsers')
  t.same(seen, [6, 6, 6])
  t.same(await Promise.all(nodes.map(async node => (await node.stats()).clients)), [1, 2, 3], 'clients: this process\'s own')
})

t.test('an edit is built once, by the leader, and every process\'s browsers get its messages once and in order', async t => {
  const { nodes, site } = await sharedCluster()
  const { leader } = await settled(nodes)
  await startedUp(site, nodes)
  const before = buildLines(site).length
  const clients = await Promise.all(nodes.map(async node => await channelClient(t, node.url)))
  const reloads = clients.map(client => client.next('reload'))
  await edit(site, 'a.txt', 'second')
  await within(Promise.all(reloads), 'a reload on every process', { nodes })
  t.same(await fenced(nodes[0], clients), [['building', 'reload'], ['building', 'reload'], ['building', 'reload']])
  const lines = buildLines(site)
  t.equal(lines.length - before, 2, 'one build for the edit')
  t.ok(isSequential(lines), 'no two builds overlapped')
  t.ok(lines.every(line => line.pid === leader.pid), 'the leader ran them all')
  t.match(readFileSync(join(site.root, 'index.html'), 'utf8'), /second/)
})

/** The error a client got right after its hello (channelClient's next() counts it as received already). */
async function standing (client: ChannelClient): Promise<ServerMessage | undefined> {
  await eventually(() => client.messages.length >= 2, WAIT_MS, 'the standing error')
  return client.messages[1]
}

t.test('the standing error is the cluster\'s: a browser connecting later to any process sees it, a process started later too, and a success clears it', async t => {
  const { nodes, site, redis } = await startCluster(t, 2)
  await settled(nodes)
  await startedUp(site, nodes)
  const first = await channelClient(t, nodes[0].url)
  const failed = first.next('error')
  await edit(site, 'a.txt', 'BROKEN')
  const error = await within(failed, 'the error on the first process')
  t.match(error, { errors: [{ message: 'broken source a.txt' }] })

  const late = await channelClient(t, nodes[1].url)
  t.same(await standing(late), error, 'on the other process')
  const newcomer = await startNode(t, site, redis.url)
  t.same(await standing(await channelClient(t, newcomer.url)), error, 'on a process started later: read from Redis')

  const reloaded = late.next('reload')
  await edit(site, 'a.txt', 'fixed')
  await within(reloaded, 'the reload after the fix')
  const after = await channelClient(t, newcomer.url)
  t.same(await fenced(nodes[1], [after]), [[]], 'no standing error once a build succeeded')
})

t.test('reload(), send() and build() called on a follower act for the whole cluster', async t => {
  const { nodes, site } = await sharedCluster()
  const { leader, followers } = await settled(nodes)
  await startedUp(site, nodes)
  const before = buildLines(site).length
  const clients = await Promise.all(nodes.map(async node => await channelClient(t, node.url)))

  const reloads = clients.map(client => client.next('reload'))
  await followers[0].reload(['/about.html'])
  t.same((await within(Promise.all(reloads), 'reload() everywhere')).map(message => message.paths), [['/about.html'], ['/about.html'], ['/about.html']])

  const swaps = clients.map(client => client.next('css'))
  await followers[1].send({ type: 'css', paths: ['/site.css'] })
  t.same((await within(Promise.all(swaps), 'send() everywhere')).length, 3)

  const report = await within(followers[0].build(true), 'build() on a follower')
  t.match(report, { ok: true, full: true, sent: 'reload' })
  const lines = buildLines(site)
  t.equal(lines.length - before, 2, 'one build')
  t.ok(lines.every(line => line.pid === leader.pid), 'the leader ran it')
  t.same(await fenced(leader, clients), Array(3).fill(['reload', 'css', 'building', 'reload']), 'once each, in one order')
})

t.test('a browser reconnecting to another process keeps its instance; a whole-cluster restart changes it, once', async t => {
  const { nodes, site, redis } = await startCluster(t, 2)
  await settled(nodes)
  const hellos = await Promise.all(nodes.map(async node => (await channelClient(t, node.url)).messages[0] as Extract<ServerMessage, { type: 'hello' }>))
  t.equal(hellos[0].instance, hellos[1].instance, 'one instance for the cluster')
  t.equal((await nodes[0].stats()).instance, hellos[0].instance)

  // One process restarts while the other runs: the cluster goes on, and so does its instance.
  await nodes[0].close()
  const replacement = await startNode(t, site, redis.url)
  t.equal(((await channelClient(t, replacement.url)).messages[0] as Extract<ServerMessage, { type: 'hello' }>).instance, hellos[0].instance)

  // Every process stops, then the cluster starts again: a new instance (browsers reload once).
  await Promise.all([nodes[1].close(), replacement.close()])
  const restarted = await Promise.all([startNode(t, site, redis.url), startNode(t, site, redis.url)])
  await settled(restarted)
  const after = await Promise.all(restarted.map(async node => (await channelClient(t, node.url)).messages[0] as Extract<ServerMessage, { type: 'hello' }>))
  t.not(after[0].instance, hellos[0].instance, 'a new cluster run')
  t.equal(after[0].instance, after[1].instance)
})
