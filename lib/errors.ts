import { createError } from '@fastify/error'

export const FST_LIVERELOAD_INVALID_OPTION = createError<'FST_LIVERELOAD_INVALID_OPTION', [option: string, problem: string]>(
  'FST_LIVERELOAD_INVALID_OPTION', 'fastify-livereload: option "%s" %s', 500, TypeError)

export const FST_LIVERELOAD_WATCH_FAILED = createError<'FST_LIVERELOAD_WATCH_FAILED', [dir: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_WATCH_FAILED', 'fastify-livereload: cannot watch "%s"')

export const FST_LIVERELOAD_INVALID_MESSAGE = createError<'FST_LIVERELOAD_INVALID_MESSAGE', [problem: string]>(
  'FST_LIVERELOAD_INVALID_MESSAGE', 'fastify-livereload: %s', 500, TypeError)

export const FST_LIVERELOAD_LISTEN_FAILED = createError<'FST_LIVERELOAD_LISTEN_FAILED', [address: string, reason: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_LISTEN_FAILED', 'fastify-livereload: cannot listen on %s for LiveReload clients: %s')
