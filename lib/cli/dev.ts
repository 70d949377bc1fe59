import type { FastifyInstance } from 'fastify'
import { commandBuilder } from '../builders/command.js' // not the plugin's module: dev/dev.ts imports it once its first child is started
import { startDev } from '../dev/dev.js'
import type { CliOptions } from './args.js'
import type { Certificate } from './certificate.js'
import type { Listening } from './listen.js'
import type { Report } from './report.js'
import type { EarlyChild } from '../dev/spawn-child.js'

/**
 * `fastify-livereload dev <entry>`: the dev server (dev/) made from the command's flags, listening
 * as the command listens; with a `certificate`, HTTPS and HTTP/2 to browsers (the app behind it
 * still speaks plain HTTP on loopback).
 */
export async function devServer (options: CliOptions, report: Report, listen: (app: FastifyInstance) => Promise<Listening>, certificate: Certificate | null = null, early: EarlyChild | null = null): Promise<{ app: FastifyInstance, listening: Listening }> {
  let listening: Listening | undefined
  // Loaded already (main.ts) when there is a certificate; not worth loading when there is none.
  const serverOptions = certificate === null ? {} : (await import('./certificate.js')).httpsServerOptions(certificate)
  const server = await startDev({
    entry: options.dir,
    logger: { level: options.isQuiet ? 'warn' : 'info', stream: report.stream },
    watch: [...options.watch],
    ignore: [...options.ignore],
    poll: options.poll,
    livereload: options.livereload,
    sync: options.sync,
    openInEditor: options.editor,
    patch: options.patch,
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    prettyLogs: options.prettyLogs,
    ...(options.build.length > 0 ? { builder: commandBuilder([...options.build]) } : {})
  }, async app => { listening = await listen(app) }, serverOptions, early)
  return { app: server.app, listening: listening! }
}
