// The child side of isolatedBuilder: loads the builder module once, runs builds on request,
// answers with their outcome. Whatever goes wrong in here, the parent only sees this process die.
import { pathToFileURL } from 'node:url'
import type { Builder, BuildOutcome, FileChange } from '../../types/index.js'
import { normalizeErrors } from '../build-errors.js'
import { LOG_LEVELS, type ChildMessage, type ParentMessage } from './isolated-messages.js'

// A server that died without closing us: the send fails (EPIPE), and 'disconnect' ends this
// process and its group. Without a callback the failure is an 'error' event, uncaught: the
// process would die at once, leaving what its builder started running.
const send = (message: ChildMessage): void => { process.send?.(message, undefined, undefined, () => {}) }
const controllers = new Map<number, AbortController>()
let loading: Promise<Builder> | undefined

async function load (): Promise<Builder> {
  const module = await import(pathToFileURL(process.argv[2]).href) as { default?: unknown }
  const exported = module.default
  if (typeof exported === 'function') return { build: exported as Builder['build'] }
  if (exported !== null && typeof exported === 'object' && typeof (exported as Builder).build === 'function') return exported as Builder
  throw new TypeError(`${process.argv[2]} must default-export a build function or an object with build(ctx)`)
}

function logFor (id: number): unknown {
  const log: Record<string, unknown> = {}
  for (const level of LOG_LEVELS) {
    log[level] = (obj: unknown, msg?: string) => {
      send({ type: 'log', id, level, obj: typeof obj === 'object' && obj !== null ? obj : {}, msg: typeof obj === 'string' ? obj : msg })
    }
  }
  log.child = () => log
  return log
}

async function build (id: number, changes: FileChange[], full: boolean): Promise<void> {
  const controller = new AbortController()
  controllers.set(id, controller)
  let outcome: BuildOutcome
  try {
    const builder = await (loading ??= load())
    const result = (await builder.build({ changes, full, signal: controller.signal, log: logFor(id) } as never)) ?? {}
    outcome = { reload: result.reload, outputs: result.outputs, errors: result.errors === undefined ? undefined : normalizeErrors(result.errors) }
  } catch (err) {
    outcome = { errors: normalizeErrors(err) }
  }
  controllers.delete(id)
  send({ type: 'result', id, outcome })
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'build') build(message.id, message.changes, message.full).catch(() => {})
  else if (message.type === 'abort') controllers.get(message.id)?.abort()
  else if (message.type === 'close') {
    (loading ?? Promise.resolve(null)).then(builder => builder?.close?.()).catch(() => {}).finally(() => process.exit(0))
  }
})
// The server went away (even by crashing): so does this process, and what its builder started
// (this process leads their group), never orphans. SIGTERM ends this process too.
process.on('disconnect', () => {
  try {
    process.kill(-process.pid, 'SIGTERM')
  } catch { /* not a group leader: only this process goes */ }
  process.exit(0)
})
