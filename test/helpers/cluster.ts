// The processes of a test cluster (test/fixtures/cluster/node.js): each a real Node.js process
// running a Fastify app with the `cluster` option, from dist/ (npm run build first).
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { BuildReport, LiveReloadStats } from '../../types/index.js'
import { within as withinMs } from './eventually.js'
import { fixture } from './fixture.js'

const NODE = new URL('../fixtures/cluster/node.js', import.meta.url)
/**
 * A guard against a process that never listens, not a speed check: a fresh Node.js process takes
 * seconds to start on a loaded machine, and more than 30 s with three whole CI runs sharing 2 cores.
 */
const START_MS = 90_000

export interface Site {
  readonly dir: string
  readonly root: string
  readonly src: string
  /** The builders' start and end lines, every process's. */
  readonly buildsLog: string
}

export function clusterSite (t: Test): Site {
  const dir = fixture(t, { src: { 'a.txt': 'first' }, dist: {} })
  return { dir, root: join(dir, 'dist'), src: join(dir, 'src'), buildsLog: join(dir, 'builds.jsonl') }
}

/**
 * Edits a source as one file system event: written beside src/, then renamed into it. These tests
 * count what the cluster makes of one edit (one build, its messages on every process); an edit
 * written in place is two writes (truncate, then content), which a machine loaded past what the
 * coalescer waits for (docs/coalescing.md) may report a build apart: test/serial counts those.
 */
export async function edit (site: Site, name: string, content: string): Promise<void> {
  const staged = join(site.dir, `.${name}.edit`)
  await writeFile(staged, content)
  await rename(staged, join(site.src, name))
}

export interface BuildLine { pid: number, event: 'start' | 'end', at: number, aborted?: boolean }

/** Every build start and end, in the order they were written. */
export function buildLines (site: Site): BuildLine[] {
  if (!existsSync(site.buildsLog)) return []
  return readFileSync(site.buildsLog, 'utf8').trim().split('\n').filter(line => line !== '').map(line => JSON.parse(line) as BuildLine)
}

/** Whether no build started before the previous one ended (a start always follows an end). */
export function isSequential (lines: readonly BuildLine[]): boolean {
  return lines.every((line, i) => line.event === (i % 2 === 0 ? 'start' : 'end') && (i % 2 === 0 || lines[i - 1].pid === line.pid))
}

export interface LogEntry { level: number, msg: string, [key: string]: unknown }

export interface ClusterProcess {
  readonly port: number
  readonly pid: number
  readonly url: string
  readonly child: ChildProcess
  /** Its log lines so far (info and above), parsed. */
  readonly logs: LogEntry[]
  readonly exited: Promise<unknown>
  stats (): Promise<LiveReloadStats>
  reload (paths?: string[]): Promise<void>
  send (message: object): Promise<void>
  build (full?: boolean): Promise<BuildReport>
  /** Closes the app, as a graceful stop does, and waits for the process to exit. */
  close (): Promise<void>
}

/** Starts one process of the cluster on `redis` serving `site`; killed when `t` ends. */
export async function startNode (t: Test, site: Site, redis: string, env: Record<string, string> = {}): Promise<ClusterProcess> {
  // No execArgv: the test process's (tap's and our loaders) are of no use to a JavaScript app.
  const child = fork(NODE, [], {
    execArgv: [],
    env: { ...process.env, REDIS: redis, ROOT: site.root, SRC: site.src, BUILDS_LOG: site.buildsLog, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const logs: LogEntry[] = []
  const replies = new Map<number, (result: unknown) => void>()
  let next = 0
  const started = new Promise<{ listening: number, pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a cluster process did not listen within ${START_MS} ms`)), START_MS)
    exited.then(([code]) => reject(new Error(`a cluster process exited (${String(code)}) before it listened`)), () => {})
    child.on('message', (message: { listening?: number, pid: number, log?: LogEntry, id?: number, result?: unknown }) => {
      if (message.log !== undefined) logs.push(message.log)
      else if (message.listening !== undefined) {
        clearTimeout(timer)
        resolve(message as { listening: number, pid: number })
      } else if (message.id !== undefined) replies.get(message.id)?.(message.result)
    })
  })
  const { listening } = await started
  async function call<R> (what: string, args: object = {}): Promise<R> {
    const id = next++
    const reply = new Promise<R>(resolve => replies.set(id, resolve as (result: unknown) => void))
    child.send({ id, do: what, ...args })
    return await reply
  }
  return {
    port: listening,
    pid: child.pid!,
    url: `http://127.0.0.1:${listening}`,
    child,
    logs,
    exited,
    stats: async () => await call<LiveReloadStats>('stats'),
    reload: async paths => { await call('reload', { paths }) },
    send: async message => { await call('send', { message }) },
    build: async full => await call<BuildReport>('build', { full }),
    async close () {
      await call('close')
      await exited
    }
  }
}

/**
 * Resolves with `promise`, or rejects naming `what` after `ms` (two cores shared with other test
 * runs: generous), with the last log lines of `nodes`: what the cluster was doing meanwhile.
 */
export async function within<T> (promise: Promise<T>, what: string, { ms = 20_000, nodes = [] }: { ms?: number, nodes?: readonly ClusterProcess[] } = {}): Promise<T> {
  return await withinMs(promise, what, ms, () => lastLogs(nodes))
}

/** Each process's last log lines, one each: when, level, message and fields (for a failure's diagnostics). */
export function lastLogs (nodes: readonly ClusterProcess[], count = 12): string {
  return nodes.map(node => `\nprocess ${node.pid}:` + node.logs.slice(-count).map(({ level, msg, time, ...fields }) => {
    delete fields.pid
    delete fields.hostname
    return `\n  ${String(time)} ${level} ${msg} ${JSON.stringify(fields)}`
  }).join('')).join('')
}
