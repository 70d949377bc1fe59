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
