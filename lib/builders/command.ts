import { spawn, type ChildProcess } from 'node:child_process'
import type { Builder, BuildErrorInfo, BuildOutcome, CommandBuilderOptions } from '../../types/index.js'
import { FST_LIVERELOAD_INVALID_OPTION } from '../errors.js'
import { resolveDeclared, type Option } from '../option.js'
import { decideAfter, realWorld } from '../world.js'
import { cwdOption, envDeclaration, maxOutputOption, timeoutOption } from './options.js'
import { endGroup, exitStatus, KILL_GRACE_MS, killGroup } from './process-group.js'
import { commandError } from './tool-output.js'

/** A build that runs longer is killed (ms); the isolated builder's default too. */
export const DEFAULT_BUILD_TIMEOUT_MS = 600_000

export const COMMAND_OPTIONS = {
  cwd: cwdOption('commandBuilder'),
  env: envDeclaration('commandBuilder'),
  timeout: timeoutOption('commandBuilder', DEFAULT_BUILD_TIMEOUT_MS),
  maxOutput: maxOutputOption('commandBuilder')
} satisfies Record<keyof CommandBuilderOptions, Option<unknown, never>>

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
  const { cwd, env, timeout, maxOutput } = resolveDeclared('commandBuilder', COMMAND_OPTIONS, options)
  const running = new Set<ChildProcess>()

  return {
    name: 'command',
    async build ({ signal, log }) {
      for (const cmd of commands) {
        const started = Date.now()
        const result = await run(cmd, { cwd, env, timeout, maxOutput, signal, running })
        if (result !== null) return { errors: [result] } satisfies BuildOutcome
        log.debug({ command: cmd, ms: Date.now() - started }, 'command finished')
      }
      return { reload: 'auto' }
    },
    async close () {
      await Promise.all([...running].map(endGroup))
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
    // Not a command that exited in time while our event loop was held up (decideAfter).
    const timer = decideAfter(realWorld, () => { if (child.exitCode === null && child.signalCode === null) stop(`timed out after ${opts.timeout} ms`) }, opts.timeout)
    const onAbort = (): void => stop('aborted')
    opts.signal.addEventListener('abort', onAbort)
    let drain: NodeJS.Timeout | undefined
    // The build ends when the command exits, not when its output pipes close: a background
    // child (`server &`) would hold them open until the timeout. What is left of the group goes
    // with it; output already written is read until the pipes close, for at most the grace
    // period (a process that left the group with setsid may hold them forever).
    child.on('exit', () => {
      realWorld.clearTimer(timer)
      opts.signal.removeEventListener('abort', onAbort)
      killGroup(child.pid)
      drain = setTimeout(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
      }, KILL_GRACE_MS).unref()
    })
    child.on('close', (code, signalName) => {
      realWorld.clearTimer(timer)
      clearTimeout(drain)
      opts.signal.removeEventListener('abort', onAbort)
      opts.running.delete(child)
      if (reason === null && code === 0) return resolve(null)
      const status = reason ?? exitStatus(code, signalName)
      resolve(commandError(cmd, status, output.text(), opts.cwd))
    })
  })
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
