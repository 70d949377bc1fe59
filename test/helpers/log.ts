import { EventEmitter } from 'node:events'
import Fastify, { type FastifyBaseLogger } from 'fastify'

export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

/** Log lines collected as parsed objects as a real pino logger (Fastify's) writes them. */
export function logLines (level = 'debug') {
  const events = new EventEmitter()
  const lines: LogLine[] = []
  const stream = {
    write (text: string) {
      const line = JSON.parse(text) as LogLine
      lines.push(line)
      events.emit('line', line)
    }
  }
  return {
    lines,
    /** Fastify's `logger` option for an app that logs here. */
    logger: { level, stream },
    /** Resolves with the next line that passes `test`: start waiting before acting. */
    next: (test: (line: LogLine) => boolean) => new Promise<LogLine>(resolve => {
      const onLine = (line: LogLine): void => {
        if (!test(line)) return
        events.off('line', onLine)
        resolve(line)
      }
      events.on('line', onLine)
    })
  }
}

/** A logger of its own (no app) whose lines are collected. */
export function collectingLogger (level = 'debug'): { log: FastifyBaseLogger, lines: LogLine[], next: ReturnType<typeof logLines>['next'] } {
  const { logger, lines, next } = logLines(level)
  return { log: Fastify({ logger }).log, lines, next }
}
