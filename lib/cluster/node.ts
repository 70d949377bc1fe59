// One process of a cluster: joins it through Redis, leads (watches and builds) while it holds
// the lease, and otherwise serves its browsers what the leader publishes.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type { BroadcastMessage, BuildReport, ClusterStats } from '../../types/index.js'
import type { Hub } from '../channel/hub.js'
import type { BuildStats, Pipeline } from '../pipeline/pipeline.js'
import { createBus, type ControlMessage } from './bus.js'
import { clusterKeys } from './keys.js'
import { createLease, leaseTimings } from './lease.js'
import { createMembership } from './membership.js'
import type { ResolvedCluster } from './options.js'
import { connectRedis, isRefusal } from './redis.js'

/** A leader's watchers and pipeline, for as long as it holds the lease. */
export interface Term {
  readonly pipeline: Pick<Pipeline, 'build' | 'stats'>
  readonly watched: readonly string[]
  /** Stops watching and aborts the running build. */
  close (): Promise<void>
}

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
  /** Starts watching and a pipeline whose messages go to `broadcast`. */
  startTerm (broadcast: (message: BroadcastMessage) => void): Promise<Term>
}

const IDLE: BuildStats = Object.freeze({ builds: 0, failures: 0, building: false, paused: false, lastDuration: null, lastErrors: null })

/** Connects and joins; resolves once joined, or once Redis proved unreachable (the app serves anyway). */
export async function joinCluster (cluster: ResolvedCluster, { hub, log, hasBuilder, buildOnStart, startTerm }: ClusterDeps): Promise<ClusterNode> {
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const keys = clusterKeys(cluster.key)
  const { renewMs } = leaseTimings(cluster.ttl)
  const link = await connectRedis(cluster.redis, renewMs, log, cluster.key)
  const leaderListeners: Array<(leaderId: string | null, isUs: boolean) => void> = []
  /** Build requests this follower sent, by id, until the leader reports. */
  const waiting = new Map<string, (report: BuildReport) => void>()
  let term: Promise<Term | null> = Promise.resolve(null)
  let current: Term | null = null
  let isClosing = false
  /** A leader has been seen before (another, or this one): Redis restarting empty says epoch 1 again. */
  let hadLeader = false

  function broadcast (message: BroadcastMessage): void {
    if (!link.isUp) return hub.broadcast(message) // this process's browsers, at least
    bus.publish(message).then(() => { link.succeeded('publish') }, err => {
      link.failed(err, 'publish')
      // Lost with the connection, or refused: this process's browsers, at least. A command that
      // timed out on a live connection may still have run, and then comes back through the subscription.
      if (!link.isUp || isRefusal(err)) hub.broadcast(message)
    })
  }

  const bus = createBus(link, keys, id, cluster.ttl, {
    onMessage: message => hub.broadcast(message),
    onStanding: message => hub.restore(message),
    // Browsers connected meanwhile may show what is no longer built: one reload catches them up.
    onMissed: () => { if (hub.size > 0) hub.broadcast({ type: 'reload', paths: [] }) },
    onControl
  })
  const membership = createMembership(link, keys, id, cluster.ttl, renewMs, { clients: () => hub.size, instance: () => hub.instance }, instance => hub.adopt(instance))
  const lease = createLease(link, keys, id, cluster.ttl, {
    onAcquired (epoch, isLate) {
      log.info({ epoch, id }, 'cluster: this process leads: it watches and builds')
      lead(epoch, isLate)
    },
    onLost (reason) {
      log.warn({ id }, `cluster: this process stopped leading (${reason}): its build is aborted and it no longer watches`)
      follow()
    },
    onLeader (leader) {
      log.debug({ leader }, 'cluster: leader changed')
      if (leader !== null && leader !== id) hadLeader = true
      answerWaiting('the cluster\'s leader changed before it answered; the new leader builds everything at takeover')
      for (const listener of leaderListeners) listener(leader, leader === id)
    }
  })

  /** Leads; with `isLate`, it may have held the lease unknowingly for a while, when nobody watched. */
  function lead (epoch: number, isLate: boolean): void {
    const isTakeover = epoch > 1 || hadLeader || isLate
    hadLeader = true
    term = term.then(async previous => {
      await previous?.close()
      if (isClosing || !lease.isLeader) return (current = null)
      current = await startTerm(broadcast)
      // A takeover: what changed while nobody (or a dying leader) watched is built now.
      if (hasBuilder && (isTakeover || buildOnStart)) current.pipeline.build({ full: true }).catch(link.failed)
      else if (!hasBuilder && isTakeover) broadcast({ type: 'reload', paths: [] })
      return current
    })
  }

  function follow (): void {
    term = term.then(async previous => {
      current = null
      await previous?.close()
      return null
    })
  }

  function onControl (message: ControlMessage): void {
    if (message.kind === 'released' && message.from !== id) lease.tryNow()
    else if (message.kind === 'built' && message.to === id) waiting.get(message.id)?.(message.report)
    else if (message.kind === 'build' && lease.isLeader) {
      buildHere({ full: message.full })
        .then(async report => { await control({ kind: 'built', id: message.id, to: message.from, report }) })
        .catch(link.failed)
    }
  }

  /** Publishes on the control channel; rejects as bus.control does. */
  async function control (message: ControlMessage): Promise<void> {
    try {
      await bus.control(message)
      link.succeeded('control')
    } catch (err) {
      link.failed(err, 'control')
      throw err
    }
  }

  async function buildHere (options: { full?: boolean }): Promise<BuildReport> {
    const leading = await term
    return leading === null ? unanswered('this process stopped leading before the build started') : await leading.pipeline.build(options)
  }

  function answerWaiting (why: string): void {
    for (const resolve of waiting.values()) resolve(unanswered(why))
  }

  let rejoin: NodeJS.Timeout | undefined
  /** Joins the cluster's instance, then its messages; refused (the user may not SUBSCRIBE, or GET), tries again every renewal. */
  async function join (): Promise<void> {
    clearTimeout(rejoin)
    try {
      await membership.resume()                     // the cluster's instance first, then its messages
      await bus.join()
      link.succeeded('join')
    } catch (err) {
      link.failed(err, 'join')
      // Tried again, so that a permission granted meanwhile is taken up (nothing else retries a subscription).
      if (isRefusal(err) && link.isUp && !isClosing) rejoin = setTimeout(() => { join().catch(link.failed) }, renewMs).unref()
    }
  }

  let onJoined = (): void => {}
  link.onUp(() => {
    join().finally(() => {
      lease.resume()
      onJoined()
    })
  })
  link.onDown(() => {
    clearTimeout(rejoin)
    membership.pause()
    lease.pause()
    answerWaiting('Redis is unreachable: no leader can be asked to build')
  })
  // Joined (or Redis is down): the app starts serving with the cluster's instance when it can.
  await new Promise<void>(resolve => {
    const timer = setTimeout(resolve, cluster.ttl).unref()
    onJoined = () => {
      clearTimeout(timer)
      resolve()
    }
    link.onDown(onJoined)
  })

  let closed: Promise<void> | undefined
  return {
    id,
    broadcast,
    async build (options = {}) {
      if (lease.isLeader) return await buildHere(options)
      if (!link.isUp || lease.leader === null) return unanswered('no process of the cluster leads now (Redis unreachable, or a takeover under way)')
      const request = randomUUID()
      return await new Promise<BuildReport>(resolve => {
        waiting.set(request, report => {
          waiting.delete(request)
          resolve(report)
        })
        control({ kind: 'build', id: request, from: id, full: options.full === true }).catch(() => {
          waiting.get(request)?.(unanswered('the build request could not be sent to the leader'))
        })
      })
    },
    buildStats: () => current?.pipeline.stats() ?? IDLE,
    watched: () => current?.watched ?? [],
    stats: () => ({
      id,
      role: lease.isLeader ? 'leader' : 'follower',
      leader: lease.leader,
      clients: membership.clients,
      processes: membership.members,
      redis: link.isUp && !link.isRefused // reached, and running the cluster's commands
    }),
    onLeaderChange: listener => { leaderListeners.push(listener) },
    onBusError: listener => link.onError(listener),
    close: () => (closed ??= (async () => {
      isClosing = true
      clearTimeout(rejoin)
      follow()
      await term                                    // the build aborted and the watchers closed first,
      const wasLeader = lease.isLeader
      await lease.close()                           // then the lease goes: no overlap with the next leader
      if (wasLeader && link.isUp) await control({ kind: 'released', from: id }).catch(() => {})
      await membership.close()
      answerWaiting('this process closed')
      await link.close()
    })())
  }
}

/** The report of a build that did not run where it was asked for. */
function unanswered (why: string): BuildReport {
  return { ok: false, full: false, changes: [], outputs: [], errors: [{ message: `cluster: ${why}` }], duration: 0, sent: 'none' }
}
