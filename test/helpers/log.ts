import { EventEmitter } from 'node:events'
import Fastify, { type FastifyBaseLogger } from 'fastify'

export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

/** A real pino logger (Fastify's) whose lines are collected as parsed objects. */
export function collectingLogger (): { log: FastifyBaseLogger, lines: LogLine[] } {
  const lines: LogLine[] = []
  const stream = { write: (line: string) => { lines.push(JSON.parse(line)) } }
  const app = Fastify({ logger: { level: 'debug', stream } })
  return { log: app.log, lines }
}

export interface Line { level: number, msg: string, [key: string]: unknown }

/** A pino stream whose lines can be awaited: start waiting before acting. */
export function awaitableLog () {
  const events = new EventEmitter()
  const lines: Line[] = []
  return {
    lines,
    stream: { write (text: string) { const line = JSON.parse(text) as Line; lines.push(line); events.emit('line', line) } },
    next: (test: (line: Line) => boolean) => new Promise<Line>(resolve => {
      const onLine = (line: Line): void => {
        if (!test(line)) return
        events.off('line', onLine)
        resolve(line)
      }
      events.on('line', onLine)
    })
  }
}
