import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import WebSocket from 'ws'
import type { ServerMessage } from '../../types/index.js'

/** The built command, as npm links it (package.json "bin"). */
export const BIN = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

/**
 * How long a command may take to print what a test waits for, not counting the time it waited
 * for a CPU: a cold start on a loaded machine takes seconds, and a loaded run's command had used
 * 0.8 s of CPU in its first 31 s, runnable all along. WAIT_MAX_MS bounds the wait all the same.
 */
const WAIT_MS = 30_000
const WAIT_MAX_MS = 120_000
/** How long a command gets to stop on Ctrl-C at the end of a test (it exits within 1 s by itself, CLOSE_GRACE_MS). */
const STOP_MS = 10_000

export interface Command {
  readonly child: ChildProcess
  /** Every line printed on stdout so far (colour never: not a terminal). */
  readonly lines: string[]
  stderr (): string
  /** Resolves with the first line (printed or still to come) that matches `pattern`. */
  line (pattern: RegExp): Promise<string>
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>
}

/**
 * Runs the command with `args` in `cwd`. When `t` ends, a command still running gets Ctrl-C
 * (SIGINT), as a user stops it, so that it ends what it started (a build's process group): a
 * SIGKILL would leave a build in flight behind, in a directory about to be deleted. SIGKILL
 * follows if it has not exited within STOP_MS.
 */
export function runCommand (t: Test, args: readonly string[], { cwd, env = {}, bin = BIN }: { cwd?: string, env?: NodeJS.ProcessEnv, bin?: string } = {}): Command {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const spawned = performance.now()
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGINT')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS)
    await exited
    clearTimeout(timer)
  })
  const lines: string[] = []
  const waiters: Array<{ pattern: RegExp, resolve: (line: string) => void }> = []
  let partial = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      for (const waiter of waiters.filter(w => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(line)
      }
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    async line (pattern) {
      const seen = lines.find(line => pattern.test(line))
      if (seen !== undefined) return seen
      let timer: NodeJS.Timeout | undefined
      const began = performance.now()
      const waitedBefore = cpuWaitMs(child)
      try {
        return await Promise.race([
          new Promise<string>(resolve => waiters.push({ pattern, resolve })),
          exited.then(code => { throw new Error(`the command exited (${code}) before printing ${pattern}\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr}`) }),
          new Promise<never>((_resolve, reject) => {
            const check = (): void => {
              const age = performance.now() - began
              const due = Math.min(WAIT_MAX_MS, WAIT_MS + cpuWaitMs(child) - waitedBefore)
              if (age < due) {
                timer = setTimeout(check, due - age)
                return
              }
              // Decided a turn later, once what the child wrote meanwhile has been read: an event
              // loop that was held up runs its timers before it reads its pipes.
              setImmediate(() => reject(new Error(`no line ${pattern} within ${Math.round(age)} ms (${processState(child, spawned)})\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)))
            }
            timer = setTimeout(check, WAIT_MS)
          })
        ])
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

/** How long (ms) the command's main thread has waited for a CPU, from /proc/<pid>/schedstat; 0 where there is none. */
function cpuWaitMs (child: ChildProcess): number {
  try {
    return Number(readFileSync(`/proc/${child.pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6
  } catch {
    return 0 // exited, or no /proc here
  }
}

/**
 * For a command that printed nothing in time, what it was doing: its age, and from /proc its
 * state (R running, S sleeping, D waiting on the disk), the CPU it used, and where the kernel holds it.
 */
function processState (child: ChildProcess, spawned: number): string {
  const age = `spawned ${Math.round(performance.now() - spawned)} ms ago`
  if (child.exitCode !== null || child.signalCode !== null) return `${age}, exited`
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    const [state, , , , , , , , , , , utime, stime] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const wchan = readFileSync(`/proc/${child.pid}/wchan`, 'utf8')
    return `${age}, state ${state}, ${(Number(utime) + Number(stime)) * 10} ms of CPU, ${Math.round(cpuWaitMs(child))} ms waited for one, in ${wchan === '0' ? 'no wait' : wchan}`
  } catch {
    return age // no /proc here
  }
}

/** Runs the command and resolves with its URL once it listens. */
export async function serveCommand (t: Test, args: readonly string[], options?: { cwd?: string, env?: NodeJS.ProcessEnv }): Promise<Command & { url: string }> {
  const command = runCommand(t, ['--port', '0', ...args], options)
  const line = await command.line(/with live reload at https?:\/\//)
  return { ...command, url: /(https?:\/\/\S+)$/.exec(line)![1]! }
}

export interface ChannelClient {
  /** Every message received, `hello` first. */
  readonly messages: ServerMessage[]
  /** The next message (from those not yet received) of `type`. */
  next<T extends ServerMessage['type']> (type: T): Promise<Extract<ServerMessage, { type: T }>>
  readonly ws: WebSocket
}

/** A browser's WebSocket on the channel of the server at `url` (`ca`: the certificate an https one is trusted by), open and greeted; closed when `t` ends. */
export async function channelClient (t: Test, url: string, { ca }: { ca?: string } = {}): Promise<ChannelClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/__livereload`, { headers: { origin: url }, ...(ca === undefined ? {} : { ca }) })
  t.teardown(() => ws.terminate())
  const messages: ServerMessage[] = []
  const waiters: Array<{ type: string, resolve: (message: ServerMessage) => void }> = []
  let taken = 0
  ws.on('message', data => {
    const message = JSON.parse(String(data)) as ServerMessage
    messages.push(message)
    const waiter = waiters.find(w => w.type === message.type)
    if (waiter !== undefined) {
      waiters.splice(waiters.indexOf(waiter), 1)
      taken = messages.length
      waiter.resolve(message)
    }
  })
  const hello = new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve())
    ws.once('error', reject)
  })
  await hello
  taken = messages.length
  return {
    messages,
    ws,
    async next<T extends ServerMessage['type']> (type: T): Promise<Extract<ServerMessage, { type: T }>> {
      const seen = messages.slice(taken).find(message => message.type === type)
      if (seen !== undefined) taken = messages.indexOf(seen) + 1
      const message = seen ?? await new Promise<ServerMessage>(resolve => waiters.push({ type, resolve }))
      return message as Extract<ServerMessage, { type: T }>
    }
  }
}

/**
 * Says, as a synchronized tab does, that `ws` shows the page at `path`; resolves once the server
 * has taken it (it takes a socket's frames in order: the pong of a ping sent after comes after).
 */
export async function joinPage (ws: WebSocket, path: string): Promise<void> {
  ws.send(JSON.stringify({ type: 'join', path }))
  ws.ping()
  await once(ws, 'pong')
}
