// What a dev version's reply header says of a route's error (lib/dev/route-errors.ts): written
// within its bound, and in the supervisor data from another process, taken off the reply and
// read only where it has the shape of an error.
import Fastify from 'fastify'
import t from 'tap'
import { takeRouteError, trackRouteErrors } from '../../lib/dev/route-errors.js'
import { forwardedRouteError } from '../../lib/inject/route-error.js'
import { ROUTE_ERROR_HEADER, responseHeaders } from '../../lib/proxy-headers.js'

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

t.test('the header is taken off; an error that reads as one goes to the page', async t => {
  const request = {}
  const headers = takeRouteError(request, { 'content-type': 'application/json', [ROUTE_ERROR_HEADER]: encode({ message: 'boom', file: 'routes/a.js', line: 3, column: 9, frame: '3 | x', stack: 'Error: boom', extra: 'dropped' }) })
  t.same(headers, { 'content-type': 'application/json' })
  t.same(forwardedRouteError(request), { message: 'boom', file: 'routes/a.js', line: 3, column: 9, frame: '3 | x', stack: 'Error: boom' })
})

t.test('what does not read as an error is dropped with the header; fields of the wrong type are left out', async t => {
  for (const [what, value] of [
    ['not base64url JSON', '%%%'],
    ['JSON, not an object', encode('boom')],
    ['no message', encode({ file: 'a.js' })],
    ['null', encode(null)],
    ['a repeated header', ['x', 'y']]
  ] as const) {
    const request = {}
    t.same(takeRouteError(request, { [ROUTE_ERROR_HEADER]: value as string }), {}, `${what}: taken off`)
    t.equal(forwardedRouteError(request), undefined, `${what}: nothing for the page`)
  }
  const request = {}
  takeRouteError(request, { [ROUTE_ERROR_HEADER]: encode({ message: 'x'.repeat(5000), line: -1, column: 1.5, file: 7, stack: 's'.repeat(9000) }) })
  const info = forwardedRouteError(request)!
  t.same(Object.keys(info).sort(), ['message', 'stack'])
  t.equal(info.message.length, 1000, 'clipped')
  t.equal(info.stack!.length, 3000, 'clipped')
})

t.test('a reply without the header is left as it is', async t => {
  const headers = { 'content-type': 'text/html' }
  t.equal(takeRouteError({}, headers), headers)
})

t.test('in a version: a 5xx a route\'s error caused carries it, within 8 KiB however long its text; other replies carry nothing', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  trackRouteErrors(app, process.cwd())
  const long = '漢字'.repeat(600) // 1,200 characters of 3 bytes each: past the bound with the stack
  app.get('/long', async () => { throw new Error(long) })
  app.get('/odd', async () => { throw Object.assign(new Error('\u0007'.repeat(1000)), { file: '\u0007'.repeat(500), frame: 'f'.repeat(2000) }) })
  app.get('/string', async () => { throw 'not an Error' }) // eslint-disable-line no-throw-literal
  app.get('/teapot', async (_request, reply) => await reply.code(418).send({ message: 'a 4xx' }))
  app.get('/ok', async () => 'fine')
  const res = await app.inject('/long')
  t.equal(res.statusCode, 500)
  const value = res.headers[ROUTE_ERROR_HEADER] as string
  t.ok(value.length <= 8 * 1024, `${value.length} characters`)
  const request = {}
  takeRouteError(request, { [ROUTE_ERROR_HEADER]: value })
  const info = forwardedRouteError(request)!
  t.ok(long.startsWith(info.message) && info.message.length > 0, 'the message, cut short')
  t.equal(info.stack, undefined, 'the stack went first')
  const odd = (await app.inject('/odd')).headers[ROUTE_ERROR_HEADER] as string
  t.ok(odd.length <= 8 * 1024, `control characters: ${odd.length} characters`)
  takeRouteError(request, { [ROUTE_ERROR_HEADER]: odd })
  t.same(Object.keys(forwardedRouteError(request)!), ['message'], 'the message alone, whole')
  t.equal(forwardedRouteError(request)!.message.length, 1000)
  const string = await app.inject('/string')
  t.equal(string.statusCode, 500, 'a thrown string: the app goes on')
  takeRouteError(request, { [ROUTE_ERROR_HEADER]: string.headers[ROUTE_ERROR_HEADER] as string })
  t.same(forwardedRouteError(request), { message: 'not an Error' })
  for (const url of ['/teapot', '/ok', '/missing']) t.equal((await app.inject(url)).headers[ROUTE_ERROR_HEADER], undefined, url)
})

t.test('whatever upstream sends the header, responseHeaders() takes it off', async t => {
  t.same(responseHeaders({ 'content-type': 'text/plain', [ROUTE_ERROR_HEADER]: 'e30' }, null), { 'content-type': 'text/plain' })
})
