import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { stripVTControlCharacters } from 'node:util'
import type { Builder, BuildErrorInfo, BuildOutcome, RunBuilderOptions, WatchContext } from '../../types/index.js'
import { FST_LIVERELOAD_INVALID_OPTION } from '../errors.js'
import { option, resolveDeclared, type Option } from '../option.js'
import { invalid } from '../validate.js'
import { decideAfter, realWorld } from '../world.js'
import { cwdOption, envDeclaration, maxOutputOption, timeoutOption } from './options.js'
import { endGroup, exitStatus, KILL_GRACE_MS, killGroup } from './process-group.js'
import { DEFAULT_PATTERNS, lineKind, type RebuildPatterns } from './rebuild-lines.js'
import { commandError } from './tool-output.js'

const DEFAULT_TIMEOUT_MS = 120_000

/** A RegExp of the option, matched line by line: without `g` or `y`, whose lastIndex would make a test depend on the one before. */
const pattern = (name: keyof RebuildPatterns): Option<RegExp, unknown> => option(undefined, (value = DEFAULT_PATTERNS[name]) => {
  if (!(value instanceof RegExp)) invalid(`runBuilder.${name}`, 'must be a RegExp, matched against each line of the command\'s output')
  return new RegExp(value.source, value.flags.replace(/[gy]/g, ''))
})

export const RUN_OPTIONS = {
  cwd: cwdOption('runBuilder'),
  env: envDeclaration('runBuilder'),
  begins: pattern('begins'),
  ends: pattern('ends'),
  errors: pattern('errors'),
  timeout: timeoutOption('runBuilder', DEFAULT_TIMEOUT_MS),
  maxOutput: maxOutputOption('runBuilder')
} satisfies Record<keyof RunBuilderOptions, Option<unknown, never>>
/** A generator that died again before it finished a rebuild waits this long, doubled each time, before it is started again… */
const FIRST_RESTART_DELAY_MS = 500
/** …up to this. */
const MAX_RESTART_DELAY_MS = 30_000

/** One rebuild of the generator's, from the line that began it (or its start) to the one that ended it. */
interface Rebuild {
  lines: string[]
  bytes: number
  hasError: boolean
  /** Why it failed though its output did not say so: it exited, or its end never came. */
  status: string | null
  ended: Promise<void>
  /** Marks it ended and wakes the build waiting for it: through end(), which says how. */
  settle: () => void
  isEnded: boolean
  /** Ends it as a failure once `timeout` has passed without a line that ends it. */
  timer?: unknown
}

/**
 * Runs a generator's own watch mode (`npx @11ty/eleventy --watch`, `hugo --watch`) as the one
 * process that builds: started once, restarted when it dies, its process group killed on close.
 * The generator decides when to rebuild; its output says when a rebuild begins and ends, and
 * each one is a build of the plugin's (one message once its writes are in, its errors in the
 * overlay, cleared by the next good one). A rebuild the output does not frame (a tool the
 * patterns do not know) still reloads through the output directory's own events.
 */
export function runBuilder (command: string, options: RunBuilderOptions = {}): Builder {
  if (typeof command !== 'string' || command.trim() === '') throw new FST_LIVERELOAD_INVALID_OPTION('runBuilder.command', 'must be a non-empty command string')
  const { cwd, env, timeout, maxOutput, begins, ends, errors } = resolveDeclared('runBuilder', RUN_OPTIONS, options)
  const state: RunState = { command, cwd, env, timeout, maxOutput, patterns: { begins, ends, errors }, rebuilds: null, stops: new Set() }

  /** The rebuilds since the last build, once the running one (if any) has ended: the last one decides. */
  async function build ({ signal }: { signal: AbortSignal }): Promise<BuildOutcome> {
    const pending = state.rebuilds?.splice(0) ?? []
    const last = pending.at(-1)
    if (last === undefined) return { reload: 'page' } // asked for (app.liveReload.build()), not begun by the generator
    if (!last.isEnded) await Promise.race([last.ended, new Promise(resolve => signal.addEventListener('abort', resolve, { once: true }))])
    if (signal.aborted) return { reload: 'none' }
    return last.hasError || last.status !== null ? { errors: [errorOf(last)] } : { reload: 'auto' }
  }

  function errorOf (rebuild: Rebuild): BuildErrorInfo {
    return commandError(command, rebuild.status ?? 'reported an error', rebuild.lines.join('\n'), cwd)
  }

  return {
    name: 'run',
    watch: ctx => { watch(state, ctx) },
    build,
    async close () {
      const stopping = [...state.stops].map(stop => stop())
      state.rebuilds = null
      await Promise.all(stopping)
    }
  }
}

/** What a run builder's parts share: its options as resolved, and the generator's rebuilds. */
interface RunState {
  readonly command: string
  /** Working directory of the command; undefined: the process's. */
  readonly cwd: string | undefined
  readonly env: NodeJS.ProcessEnv
  readonly timeout: number
  readonly maxOutput: number
  readonly patterns: RebuildPatterns
  /** Rebuilds not yet taken by a build, the running one last; null while nothing runs the generator. */
  rebuilds: Rebuild[] | null
  /** Each watch's stop, for close(): resolves once its generator's group is gone (endGroup). */
  readonly stops: Set<() => Promise<void>>
}

/** One `watch` of the generator's: its process, started again when it dies, and its rebuilds. */
interface Watching {
  readonly state: RunState
  readonly rebuilding: () => void
  readonly log: WatchContext['log']
  readonly taken: Rebuild[]
  child: ChildProcess | null
  current: Rebuild | null
  /** The last lines outside a rebuild: what a death says. */
  recent: string[]
  /** In a row, without a rebuild that ended. */
  deaths: number
  /** A line of its output has begun or ended a rebuild: the patterns know its lines. */
  isFramed: boolean
  restart: NodeJS.Timeout | undefined
  isStopped: boolean
}

/** The generator, for as long as `ctx.signal` lasts: its output read, its deaths answered by a new one. */
function watch (state: RunState, { rebuilding, log, signal }: WatchContext): void {
  const taken: Rebuild[] = []
  state.rebuilds = taken
  const watching: Watching = { state, rebuilding, log, taken, child: null, current: null, recent: [], deaths: 0, isFramed: false, restart: undefined, isStopped: false }
  const stop = async (): Promise<void> => {
    watching.isStopped = true
    clearTimeout(watching.restart)
    const ended = watching.child === null ? null : endGroup(watching.child)
    if (watching.current !== null) end(watching, watching.current, null)
    state.stops.delete(stop)
    await ended
  }
  state.stops.add(stop)
  signal.addEventListener('abort', () => { stop().catch(() => {}) }, { once: true })
  start(watching)
}

function begin (watching: Watching): Rebuild {
  const rebuild = newRebuild()
  watching.current = rebuild
  watching.taken.push(rebuild)
  // An end printed in time is read first, however long our event loop was held up (decideAfter).
  rebuild.timer = decideAfter(realWorld, () => { end(watching, rebuild, noEnd(watching)) }, watching.state.timeout)
  watching.rebuilding()
  return rebuild
}

/** Why a rebuild failed that its end never showed: with what to do, where no line of the tool's has matched a pattern yet. */
function noEnd ({ state, isFramed }: Watching): string {
  const why = `printed no end of this rebuild in ${state.timeout} ms`
  return isFramed ? why : `${why}, nor any line that begins or ends one: give its own to \`begins\` and \`ends\` (the command's --run-begins and --run-ends)`
}

function end (watching: Watching, rebuild: Rebuild, status: string | null): void {
  if (rebuild.isEnded) return
  realWorld.clearTimer(rebuild.timer)
  rebuild.status = status
  rebuild.settle()
  if (watching.current === rebuild) watching.current = null
}

function onLine (watching: Watching, raw: string): void {
  const line = stripVTControlCharacters(raw).trimEnd()
  watching.log.info(line)
  const kind = lineKind(line, watching.state.patterns)
  if (kind === 'begins' || kind === 'ends') watching.isFramed = true
  if (watching.current === null && kind !== 'begins') {
    watching.recent = [...watching.recent.slice(-19), line]
    return
  }
  const rebuild = watching.current ?? begin(watching)
  push(rebuild, line, watching.state.maxOutput)
  // Any line of a rebuild that says it failed, the one that begins or ends it too (`compiled with 1 error in …`):
  // lineKind tested the others already.
  if (kind === 'error' || (kind !== null && watching.state.patterns.errors.test(line))) rebuild.hasError = true
  if (kind === 'ends') {
    watching.deaths = 0
    end(watching, rebuild, null)
  }
}

function start (watching: Watching): void {
  const { command, cwd, env } = watching.state
  const spawned = spawn(guarded(command), { shell: true, detached: true, cwd, env, stdio: ['pipe', 'pipe', 'ignore'] })
  watching.child = spawned
  watching.log.info({ command }, `started \`${command}\``)
  begin(watching)
  createInterface({ input: spawned.stdout! }).on('line', line => { onLine(watching, line) })
  let cause: string | null = null
  spawned.on('error', err => { cause = `could not run: ${err.message}` })
  // Its death is answered once its output is read to the end (the error in its last lines):
  // what is left of its group goes with it, and pipes a process that left the group holds
  // are let go after the grace period.
  spawned.on('exit', () => {
    killGroup(spawned.pid)
    setTimeout(() => spawned.stdout?.destroy(), KILL_GRACE_MS).unref()
  })
  spawned.on('close', (code, signalName) => {
    watching.child = null
    if (watching.isStopped) return
    died(watching, cause ?? exitStatus(code, signalName), code)
  })
}

/** The generator's process ended (`status`: how) and nothing stopped it: its rebuild ends, and a new one starts after a delay. */
function died (watching: Watching, status: string, code: number | null): void {
  const { command } = watching.state
  const rebuild = watching.current ?? begin(watching)
  if (rebuild.lines.length === 0) for (const line of watching.recent) push(rebuild, line, watching.state.maxOutput)
  watching.recent = []
  if (code === 0) {
    // A one-off build (the watch flag left out): what it wrote is its build.
    watching.log.warn(`\`${command}\` exited: it is not watching; give it its watch flag (--watch) to rebuild on changes`)
    return end(watching, rebuild, null)
  }
  end(watching, rebuild, status)
  const delay = watching.deaths === 0 ? 0 : Math.min(FIRST_RESTART_DELAY_MS * 2 ** (watching.deaths - 1), MAX_RESTART_DELAY_MS)
  watching.deaths++
  watching.log.warn({ ms: delay }, `\`${command}\` ${status}; starting it again${delay === 0 ? '' : ` in ${delay} ms`}`)
  watching.restart = setTimeout(() => { start(watching) }, delay)
}

function newRebuild (): Rebuild {
  let end!: () => void
  const ended = new Promise<void>(resolve => { end = resolve })
  const rebuild: Rebuild = {
    lines: [],
    bytes: 0,
    hasError: false,
    status: null,
    ended,
    settle: () => {
      rebuild.isEnded = true
      end()
    },
    isEnded: false
  }
  return rebuild
}

/** Keeps a rebuild's last `max` bytes of output: a flood costs no more than that. */
function push (rebuild: Rebuild, line: string, max: number): void {
  rebuild.lines.push(line)
  rebuild.bytes += line.length + 1
  while (rebuild.bytes > max && rebuild.lines.length > 1) rebuild.bytes -= rebuild.lines.shift()!.length + 1
}

/**
 * The shell script that runs `command`. Its output: one pipe for both streams, in the order the
 * tool wrote them (its error on stderr comes before the line on stdout that ends the rebuild, as
 * it printed them). Its stdin: a pipe this process holds open and never writes, so that it closes
 * when this process goes, however it goes (a SIGKILL, a crash: no close() then): the script then
 * ends its whole group, and a generator watching for ever is never left behind. The command reads
 * the same pipe: esbuild's --watch stops when its stdin closes (at once, were it /dev/null). The
 * script exits as the command does, with its status.
 */
function guarded (command: string): string {
  return `exec 2>&1 3<&0
{
${command}
} <&3 &
command=$!
{ cat >/dev/null; kill -TERM 0; } <&3 &
wait "$command"
status=$?
kill "$!" 2>/dev/null
exit "$status"`
}
