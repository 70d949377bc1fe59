import type { FastifyInstance } from 'fastify'
import { commandBuilder } from '../index.js'
import { startDev } from '../dev/dev.js'
import type { CliOptions } from './args.js'
import type { Listening } from './listen.js'
import type { Report } from './report.js'

/** `fastify-livereload dev <entry>`: the dev server (dev/) made from the command's flags, listening as the command listens. */
export async function devServer (options: CliOptions, report: Report, listen: (app: FastifyInstance) => Promise<Listening>): Promise<{ app: FastifyInstance, listening: Listening }> {
  let listening: Listening | undefined
  const server = await startDev({
    entry: options.dir,
    logger: { level: options.isQuiet ? 'warn' : 'info', stream: report.stream },
    watch: [...options.watch],
    ignore: [...options.ignore],
    poll: options.poll,
    livereload: options.livereload,
    ...(options.build.length > 0 ? { builder: commandBuilder([...options.build]) } : {})
  }, async app => { listening = await listen(app) })
  return { app: server.app, listening: listening! }
}
