// One process of a cluster: joins it through Redis, leads (watches and builds) while it holds
// the lease, and otherwise serves its browsers what the leader publishes.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type { BroadcastMessage, BuildReport, ClusterStats } from '../../types/index.js'
import type { Hub } from '../channel/hub.js'
import type { BuildStats } from '../pipeline/pipeline.js'
import { later, type World } from '../world.js'
import { createBus, type Bus, type ControlMessage } from './bus.js'
import { clusterKeys } from './keys.js'
import { createLease, leaseTimings, type Lease } from './lease.js'
import { createMembership, type Membership } from './membership.js'
import type { ResolvedCluster } from './options.js'
import { connectRedis, isRefusal, type RedisLink } from './redis.js'
import { createTerms, type Term, type Terms } from './terms.js'

export interface ClusterNode {
  /** This process in the cluster: `host:pid:random`. */
  readonly id: string
  /** Sends `message` to the browsers of every process (through Redis; while it is lost, to this process's only). */
  broadcast (message: BroadcastMessage): void
  /** Builds on the leader, wherever it is called; see docs/cluster.md for what it resolves with. */
  build (options?: { full?: boolean }): Promise<BuildReport>
  /** This process's builds: a follower's are idle. */
  buildStats (): BuildStats
  /** What this process watches: the sources and root while it leads, else nothing. */
  watched (): readonly string[]
  stats (): ClusterStats
  /** Runs `listener` each time the leader changes (null: unknown, such as while Redis is lost). */
  onLeaderChange (listener: (leaderId: string | null, isUs: boolean) => void): void
  /** Runs `listener` on every Redis connection error and failed command. */
  onBusError (listener: (err: Error) => void): void
  close (): Promise<void>
}

export interface ClusterDeps {
  hub: Hub
  log: FastifyBaseLogger
  hasBuilder: boolean
  buildOnStart: boolean
  /** The clock and timers the lease and the joining wait on: the plugin's. */
  world: World
  /** Starts watching and a pipeline whose messages go to `broadcast`. */
  startTerm (broadcast: (message: BroadcastMessage) => void): Promise<Term>
}

const IDLE: BuildStats = Object.freeze({ builds: 0, failures: 0, building: false, paused: false, lastDuration: null, lastErrors: null })

/** What the steps of one cluster process share: its parts, and the state they change. */
interface NodeState {
  /** This process in the cluster: `host:pid:random`. */
  readonly id: string
  readonly cluster: ResolvedCluster
  readonly deps: ClusterDeps
  readonly renewMs: number
  readonly link: RedisLink
  readonly bus: Bus
  readonly membership: Membership
  readonly lease: Lease
  readonly leaderListeners: Array<(leaderId: string | null, isUs: boolean) => void>
  /** Build requests this follower sent, by id, until the leader reports. */
  readonly waiting: Map<string, (report: BuildReport) => void>
  /** The leader's terms, while this process leads. */
  readonly terms: Terms
  isClosing: boolean
  /** Cancels the next try to join, when one is set. */
  rejoin: () => void
  onJoined: () => void
}

/** Connects and joins; resolves once joined, or once Redis proved unreachable (the app serves anyway). */
export async function joinCluster (cluster: ResolvedCluster, deps: ClusterDeps): Promise<ClusterNode> {
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const { renewMs } = leaseTimings(cluster.ttl)
  const link = await connectRedis(cluster.redis, renewMs, deps.log, cluster.key)
  const node = createNode(cluster, deps, id, renewMs, link)
  link.onUp(() => {
    join(node).finally(() => {
      node.lease.resume()
      node.onJoined()
    })
  })
  link.onDown(() => { pauseWhileRedisIsLost(node) })
  await joined(node)
  return nodeHandle(node)
}

/** The process's parts (the bus, its membership, the lease), each telling the node what it hears. */
function createNode (cluster: ResolvedCluster, deps: ClusterDeps, id: string, renewMs: number, link: RedisLink): NodeState {
  const { hub, log } = deps
  const keys = clusterKeys(cluster.key)
  const node: NodeState = {
    id,
    cluster,
    deps,
    renewMs,
    link,
    bus: createBus(link, keys, id, cluster.ttl, {
      onMessage: message => hub.broadcast(message),
      onStanding: message => hub.restore(message),
      // Browsers connected meanwhile may show what is no longer built: one reload catches them up.
      onMissed: () => { if (hub.size > 0) hub.broadcast({ type: 'reload', paths: [] }) },
      onControl: message => { answerControl(node, message) }
    }),
    membership: createMembership(link, keys, id, cluster.ttl, { intervalMs: renewMs, clients: () => hub.size, instance: () => hub.instance, onInstance: instance => hub.adopt(instance) }, deps.world),
    lease: createLease(link, keys, id, cluster.ttl, {
      onAcquired (epoch, isLate) {
        log.info({ epoch, id }, 'cluster: this process leads: it watches and builds')
        node.terms.lead(epoch, isLate)
      },
      onLost (reason) {
        log.warn({ id }, `cluster: this process stopped leading (${reason}): its build is aborted and it no longer watches`)
        node.terms.follow()
      },
      onLeader (leader) {
        log.debug({ leader }, 'cluster: leader changed')
        if (leader !== null && leader !== id) node.terms.sawLeader()
        answerWaiting(node, 'the cluster\'s leader changed before it answered; the new leader builds everything at takeover')
        for (const listener of node.leaderListeners) listener(leader, leader === id)
      }
    }, deps.world),
    leaderListeners: [],
    waiting: new Map(),
    terms: createTerms({
      hasBuilder: deps.hasBuilder,
      buildOnStart: deps.buildOnStart,
      log,
      startTerm: deps.startTerm,
      broadcast: message => { broadcast(node, message) },
      isLeader: () => node.lease.isLeader,
      onBuildRejected: link.failed
    }),
    isClosing: false,
    rejoin: () => {},
    onJoined: () => {}
  }
  return node
}

/** What the app holds: the node's own methods, over its state. */
function nodeHandle (node: NodeState): ClusterNode {
  const { id, link, lease, membership } = node
  let closed: Promise<void> | undefined
  return {
    id,
    broadcast: message => { broadcast(node, message) },
    build: async (options = {}) => lease.isLeader ? await buildHere(node, options) : await askLeader(node, options),
    buildStats: () => node.terms.current?.pipeline.stats() ?? IDLE,
    watched: () => node.terms.current?.watched ?? [],
    stats: () => ({
      id,
      role: lease.isLeader ? 'leader' : 'follower',
      leader: lease.leader,
      clients: membership.clients,
      processes: membership.members,
      redis: link.isUp && !link.isRefused // reached, and running the cluster's commands
    }),
    onLeaderChange: listener => { node.leaderListeners.push(listener) },
    onBusError: listener => link.onError(listener),
    close: () => (closed ??= handOver(node))
  }
}

function broadcast (node: NodeState, message: BroadcastMessage): void {
  const { link, deps: { hub } } = node
  if (!link.isUp) return hub.broadcast(message) // this process's browsers, at least
  node.bus.publish(message).then(() => { link.succeeded('publish') }, err => {
    link.failed(err, 'publish')
    // Lost with the connection, or refused: this process's browsers, at least. A command that
    // timed out on a live connection may still have run, and then comes back through the subscription.
    if (!link.isUp || isRefusal(err)) hub.broadcast(message)
  })
}

/** Joins the cluster's instance, then its messages; refused (the user may not SUBSCRIBE, or GET), tries again every renewal. */
async function join (node: NodeState): Promise<void> {
  const { link } = node
  node.rejoin()
  try {
    await node.membership.resume()                // the cluster's instance first, then its messages
    await node.bus.join()
    link.succeeded('join')
  } catch (err) {
    link.failed(err, 'join')
    // Tried again, so that a permission granted meanwhile is taken up (nothing else retries a subscription).
    if (isRefusal(err) && link.isUp && !node.isClosing) node.rejoin = later(node.deps.world, () => { join(node).catch(link.failed) }, node.renewMs)
  }
}

/** Joined (or Redis is down): the app starts serving with the cluster's instance when it can. */
async function joined (node: NodeState): Promise<void> {
  await new Promise<void>(resolve => {
    const cancel = later(node.deps.world, resolve, node.cluster.ttl)
    node.onJoined = () => {
      cancel()
      resolve()
    }
    node.link.onDown(node.onJoined)
  })
}

/** Redis is lost: no rejoining, heartbeat nor lease until it is back, and no answer to wait for. */
function pauseWhileRedisIsLost (node: NodeState): void {
  node.rejoin()
  node.membership.pause()
  node.lease.pause()
  answerWaiting(node, 'Redis is unreachable: no leader can be asked to build')
}

function answerControl (node: NodeState, message: ControlMessage): void {
  const { id, lease } = node
  if (message.kind === 'released' && message.from !== id) lease.tryNow()
  else if (message.kind === 'built' && message.to === id) node.waiting.get(message.id)?.(message.report)
  else if (message.kind === 'build' && lease.isLeader) {
    buildHere(node, { full: message.full })
      .then(async report => { await control(node, { kind: 'built', id: message.id, to: message.from, report }) })
      .catch(node.link.failed)
  }
}

/** Publishes on the control channel; rejects as bus.control does. */
async function control (node: NodeState, message: ControlMessage): Promise<void> {
  try {
    await node.bus.control(message)
    node.link.succeeded('control')
  } catch (err) {
    node.link.failed(err, 'control')
    throw err
  }
}

async function buildHere (node: NodeState, options: { full?: boolean }): Promise<BuildReport> {
  const leading = await node.terms.settled()
  if (leading !== null) return await leading.pipeline.build(options)
  return unanswered(node.lease.isLeader ? 'this process leads, but its term could not start: see its log' : 'this process stopped leading before the build started')
}

/** A follower's build: asked of the leader over the control channel, answered by its report. */
async function askLeader (node: NodeState, options: { full?: boolean }): Promise<BuildReport> {
  const { id, link, lease, waiting } = node
  if (!link.isUp || lease.leader === null) return unanswered('no process of the cluster leads now (Redis unreachable, or a takeover under way)')
  const request = randomUUID()
  return await new Promise<BuildReport>(resolve => {
    waiting.set(request, report => {
      waiting.delete(request)
      resolve(report)
    })
    control(node, { kind: 'build', id: request, from: id, full: options.full === true }).catch(() => {
      waiting.get(request)?.(unanswered('the build request could not be sent to the leader'))
    })
  })
}

function answerWaiting (node: NodeState, why: string): void {
  for (const resolve of node.waiting.values()) resolve(unanswered(why))
}

/** Closes: stops leading, then hands the lease over (a follower takes it at once) and leaves. */
async function handOver (node: NodeState): Promise<void> {
  const { link, lease } = node
  node.isClosing = true
  node.rejoin()
  await node.terms.close()                        // the build aborted and the watchers closed first,
  const isReleased = await lease.close()          // then the lease goes: no overlap with the next leader
  if (isReleased && link.isUp) await control(node, { kind: 'released', from: node.id }).catch(() => {})
  await node.membership.close()
  answerWaiting(node, 'this process closed')
  await link.close()
}

/** The report of a build that did not run where it was asked for. */
function unanswered (why: string): BuildReport {
  return { ok: false, full: false, changes: [], outputs: [], errors: [{ message: `cluster: ${why}` }], duration: 0, sent: 'none' }
}
