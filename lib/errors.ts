import { createError } from '@fastify/error'

export const FST_LIVERELOAD_INVALID_OPTION = createError<'FST_LIVERELOAD_INVALID_OPTION', [option: string, problem: string]>(
  'FST_LIVERELOAD_INVALID_OPTION', 'fastify-livereload: option "%s" %s', 500, TypeError)

export const FST_LIVERELOAD_WATCH_FAILED = createError<'FST_LIVERELOAD_WATCH_FAILED', [dir: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_WATCH_FAILED', 'fastify-livereload: cannot watch "%s"')

export const FST_LIVERELOAD_WATCH_LIMIT = createError<'FST_LIVERELOAD_WATCH_LIMIT', [dir: string, sysctl: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_WATCH_LIMIT', 'fastify-livereload: cannot watch "%s": the inotify limit is reached. Raise it (sudo sysctl %s=524288; add the line to /etc/sysctl.conf to keep it) or leave large trees out with the "ignore" option')

export const FST_LIVERELOAD_ALREADY_REGISTERED = createError<'FST_LIVERELOAD_ALREADY_REGISTERED', []>(
  'FST_LIVERELOAD_ALREADY_REGISTERED', 'fastify-livereload: registered twice in the same context, or in a context below one where it is registered already, whose hooks reach it (a second channel, watcher and builder on the same pages). Register it once per site, a second site in a context of its own (app.register(async c => c.register(liveReload, opts), { prefix })), and one at the root after the others', 500, Error)

export const FST_LIVERELOAD_MISSING_DEPENDENCY = createError<'FST_LIVERELOAD_MISSING_DEPENDENCY', [pkg: string, why: string, install: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_MISSING_DEPENDENCY', 'fastify-livereload: the package "%s" is needed %s: install it (npm install --save-dev %s)', 500, Error)

export const FST_LIVERELOAD_INVALID_MESSAGE = createError<'FST_LIVERELOAD_INVALID_MESSAGE', [problem: string]>(
  'FST_LIVERELOAD_INVALID_MESSAGE', 'fastify-livereload: %s', 500, TypeError)

export const FST_LIVERELOAD_LISTEN_FAILED = createError<'FST_LIVERELOAD_LISTEN_FAILED', [address: string, reason: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_LISTEN_FAILED', 'fastify-livereload: cannot listen on %s for LiveReload clients: %s')
// The test harness (fastify-livereload/testing): a failed wait names what it waited for.
export const FST_LIVERELOAD_CONNECT_FAILED = createError<'FST_LIVERELOAD_CONNECT_FAILED', [path: string, problem: string, opts?: { cause: unknown }]>(
  'FST_LIVERELOAD_CONNECT_FAILED', 'fastify-livereload: cannot connect to the live reload channel at "%s": %s')

export const FST_LIVERELOAD_TIMEOUT = createError<'FST_LIVERELOAD_TIMEOUT', [ms: number, awaited: string, seen: string]>(
  'FST_LIVERELOAD_TIMEOUT', 'fastify-livereload: timed out after %d ms waiting for %s; %s')

export const FST_LIVERELOAD_CHANNEL_CLOSED = createError<'FST_LIVERELOAD_CHANNEL_CLOSED', [awaited: string, detail: string]>(
  'FST_LIVERELOAD_CHANNEL_CLOSED', 'fastify-livereload: the live reload channel closed while waiting for %s (%s)')
