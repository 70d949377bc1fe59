import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve as resolvePath, sep } from 'node:path'
import type { Builder, BuildErrorInfo, BuildOutcome, CommandBuilderOptions } from '../../types/index.js'
import { displayPath } from '../paths.js'
import { FST_LIVERELOAD_INVALID_OPTION } from '../errors.js'
import { envOption, integerOption, invalid, optionsObject } from '../validate.js'
import { KILL_GRACE_MS, killGroup } from './process-group.js'

/** A build that runs longer is killed (ms); the isolated builder's default too. */
export const DEFAULT_BUILD_TIMEOUT_MS = 600_000
const DEFAULT_MAX_OUTPUT = 64 * 1024
const OPTIONS = ['cwd', 'env', 'timeout', 'maxOutput'] as const

/**
 * Runs shell commands in order, each after the previous one succeeded. Each command is the
 * leader of its own process group, so a timeout, an abort or close() kills the shell and
 * everything it started.
 */
export function commandBuilder (command: string | string[], options: CommandBuilderOptions = {}): Builder {
  const commands = typeof command === 'string' ? [command] : command
  if (!Array.isArray(commands) || commands.length === 0 || !commands.every(c => typeof c === 'string' && c.trim() !== '')) {
    throw new FST_LIVERELOAD_INVALID_OPTION('commandBuilder.command', 'must be a non-empty command string or array of them')
  }
  optionsObject('commandBuilder', options, OPTIONS)
  const timeout = integerOption('commandBuilder.timeout', options.timeout ?? DEFAULT_BUILD_TIMEOUT_MS, { unit: 'ms' })
  const maxOutput = integerOption('commandBuilder.maxOutput', options.maxOutput ?? DEFAULT_MAX_OUTPUT, { unit: 'bytes' })
  if (options.cwd !== undefined && (typeof options.cwd !== 'string' || options.cwd === '')) invalid('commandBuilder.cwd', 'must be a directory path')
  const env = { ...process.env, ...envOption('commandBuilder.env', options.env) }
  const running = new Set<ChildProcess>()

  return {
    name: 'command',
    async build ({ signal, log }) {
      for (const cmd of commands) {
        const started = Date.now()
        const result = await run(cmd, { cwd: options.cwd, env, timeout, maxOutput, signal, running })
        if (result !== null) return { errors: [result] } satisfies BuildOutcome
        log.debug({ command: cmd, ms: Date.now() - started }, 'command finished')
      }
      return { reload: 'auto' }
    },
    close () {
      for (const child of running) killGroup(child.pid)
    }
  }
}

interface RunOptions {
  cwd: string | undefined
  env: NodeJS.ProcessEnv
  timeout: number
  maxOutput: number
  signal: AbortSignal
  running: Set<ChildProcess>
}

/** Runs one command; resolves to null on success, else the error to show. */
function run (cmd: string, opts: RunOptions): Promise<BuildErrorInfo | null> {
  return new Promise(resolve => {
    const output = new Tail(opts.maxOutput)
    const child = spawn(cmd, { shell: true, detached: true, cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let reason: string | null = null
    const stop = (why: string): void => {
      reason ??= why
      killGroup(child.pid)
    }
    child.on('error', err => stop(`could not run: ${err.message}`))
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk))
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk))
    opts.running.add(child)
    const timer = setTimeout(() => stop(`timed out after ${opts.timeout} ms`), opts.timeout).unref()
    const onAbort = (): void => stop('aborted')
    opts.signal.addEventListener('abort', onAbort)
    let drain: NodeJS.Timeout | undefined
    // The build ends when the command exits, not when its output pipes close: a background
    // child (`server &`) would hold them open until the timeout. What is left of the group goes
    // with it; output already written is read until the pipes close, for at most the grace
    // period (a process that left the group with setsid may hold them forever).
    child.on('exit', () => {
      clearTimeout(timer)
      opts.signal.removeEventListener('abort', onAbort)
      killGroup(child.pid)
      drain = setTimeout(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
      }, KILL_GRACE_MS).unref()
    })
    child.on('close', (code, signalName) => {
      clearTimeout(timer)
      clearTimeout(drain)
      opts.signal.removeEventListener('abort', onAbort)
      opts.running.delete(child)
      if (reason === null && code === 0) return resolve(null)
      const status = reason ?? (code !== null ? `exited with code ${code}` : `was killed by ${String(signalName)}`)
      resolve(commandError(cmd, status, output.text(), opts.cwd))
    })
  })
}

/**
 * Where the tools people run this way say an error is, each format with its file, line and column:
 * tsc's `file(line,col)`; nunjucks' (Eleventy) `(file) [Line n, Column m]`; liquidjs'
 * `file:path, line:n, col:m`; `file:line:col` (esbuild, postcss, vite, rollup, eslint, stacks);
 * `file line:col` (sass, webpack).
 */
const LOCATIONS = [
  /(?<file>[\w./@~+-]+\.[A-Za-z0-9]+)\((?<line>\d+),(?<column>\d+)\)/g,
  /\((?<file>[^()\s]+\.[A-Za-z0-9]+)\)\s*\[Line (?<line>\d+), Column (?<column>\d+)\]/g,
  /file:(?<file>[^,\s]+\.[A-Za-z0-9]+), line:(?<line>\d+), col:(?<column>\d+)/g,
  /(?<file>[\w./@~+-]+\.[A-Za-z0-9]+):(?<line>\d+)(?::(?<column>\d+))?/g,
  /(?<file>[\w./@~+-]+\.[A-Za-z0-9]+) (?<line>\d+):(?<column>\d+)/g
]

interface Location { file: string, line: number, column?: number, at: number }

/**
 * The error of a failed command, located where its output points: of every location it names,
 * the first (in the output's order) of a file of the project that exists, else of one in
 * node_modules, else the first named at all. A template error's output names the template and,
 * first, the engine's own frames: the template is where the fix goes.
 */
export function commandError (cmd: string, status: string, output: string, cwd = process.cwd()): BuildErrorInfo {
  const error: BuildErrorInfo = { message: `\`${cmd}\` ${status}${output.trim() === '' ? '' : `\n\n${output.trimEnd()}`}` }
  const found: Location[] = []
  for (const format of LOCATIONS) {
    for (const match of output.matchAll(format)) {
      const { file, line, column } = match.groups as { file: string, line: string, column?: string }
      found.push({ file: resolvePath(cwd, file), line: Number(line), column: column === undefined ? undefined : Number(column), at: match.index })
    }
  }
  found.sort((a, b) => a.at - b.at)
  const firstExisting = (inDependency: boolean): Location | undefined =>
    found.find(location => location.file.split(sep).includes('node_modules') === inDependency && existsSync(location.file))
  const best = firstExisting(false) ?? firstExisting(true) ?? found[0]
  if (best !== undefined) {
    error.file = displayPath(best.file)
    error.line = best.line
    if (best.column !== undefined) error.column = best.column
  }
  return error
}

/** Keeps the last `max` bytes of a stream of chunks: a flood costs no more memory than that. */
class Tail {
  private chunks: Buffer[] = []
  private size = 0
  constructor (private readonly max: number) {}

  push (chunk: Buffer): void {
    this.chunks.push(chunk)
    this.size += chunk.length
    while (this.size - this.chunks[0].length >= this.max) this.size -= this.chunks.shift()!.length
  }

  text (): string {
    const all = Buffer.concat(this.chunks)
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8') // invalid UTF-8 becomes U+FFFD
  }
}
