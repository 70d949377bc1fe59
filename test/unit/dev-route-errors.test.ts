// What a dev version's reply header says of a route's error (lib/dev/route-errors.ts): data from
// another process, taken off the reply, and read only where it has the shape of an error.
import t from 'tap'
import { ROUTE_ERROR_HEADER, takeRouteError } from '../../lib/dev/route-errors.js'
import { forwardedRouteError } from '../../lib/inject/route-error.js'

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
