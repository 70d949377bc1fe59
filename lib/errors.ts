import { createError } from '@fastify/error'

export const FST_LIVERELOAD_INVALID_OPTION = createError<'FST_LIVERELOAD_INVALID_OPTION', [option: string, problem: string]>(
  'FST_LIVERELOAD_INVALID_OPTION', 'fastify-livereload: option "%s" %s', 500, TypeError)

export const FST_LIVERELOAD_WATCH_FAILED = createError<'FST_LIVERELOAD_WATCH_FAILED', [dir: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_WATCH_FAILED', 'fastify-livereload: cannot watch "%s"')

export const FST_LIVERELOAD_WATCH_LIMIT = createError<'FST_LIVERELOAD_WATCH_LIMIT', [dir: string, sysctl: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_WATCH_LIMIT', 'fastify-livereload: cannot watch "%s": the inotify limit is reached. Raise it (sudo sysctl %s=524288; add the line to /etc/sysctl.conf to keep it) or leave large trees out with the "ignore" option')

export const FST_LIVERELOAD_INVALID_MESSAGE = createError<'FST_LIVERELOAD_INVALID_MESSAGE', [problem: string]>(
  'FST_LIVERELOAD_INVALID_MESSAGE', 'fastify-livereload: %s', 500, TypeError)
