import t from 'tap'
import { isLooped, requestHeaders, responseHeaders } from '../../lib/proxy-headers.js'

const UPSTREAM = new URL('http://127.0.0.1:5000')

t.test('a redirect to the upstream itself becomes a path on the proxy, never a URL of another host', async t => {
  const cases: Array<[string, string]> = [
    ['http://127.0.0.1:5000/new?x=1#top', '/new?x=1#top'],
    ['HTTP://127.0.0.1:5000/a', '/a'],
    ['http://127.0.0.1:5000//evil.example/x', '/.//evil.example/x'],
    ['http://127.0.0.1:5000/\\evil.example/x', '/.//evil.example/x'],
    ['http://127.0.0.1:5000///x', '/.///x']
  ]
  for (const [location, expected] of cases) {
    const rewritten = responseHeaders({ location }, UPSTREAM).location!
    t.equal(rewritten, expected, location)
    t.equal(new URL(rewritten, 'http://proxy.test:8080/page').host, 'proxy.test:8080', `${location} stays on the proxy`)
  }
})

t.test('a Location that is not a URL, or is elsewhere, passes as it came', async t => {
  for (const location of ['http://[bad', 'https://a b/', 'http://', 'http://127.0.0.1:5000:x/', 'https://example.test/elsewhere', '/relative', '//cdn.example/x']) {
    t.equal(responseHeaders({ location }, UPSTREAM).location, location, location)
  }
  t.equal(responseHeaders({ location: 'http://127.0.0.1:5000/a' }, null).location, 'http://127.0.0.1:5000/a', 'no upstream: nothing to compare with')
})

t.test('a header HTTP/2 allows once keeps its first value; the others keep all of theirs', async t => {
  const repeated: Record<string, string | string[]> = {
    'content-type': ['text/html', 'text/plain'],
    etag: ['"a"', '"a"'],
    location: ['http://127.0.0.1:5000/one', 'http://127.0.0.1:5000/two'],
    'set-cookie': ['a=1', 'b=2'],
    vary: 'accept'
  }
  const headers = responseHeaders(repeated as never, UPSTREAM)
  t.same(headers, { 'content-type': 'text/html', etag: '"a"', location: '/one', 'set-cookie': ['a=1', 'b=2'], vary: 'accept' })
})

t.test('a request goes upstream with X-Forwarded-* of the real connection, whatever the client claimed, and no Expect', async t => {
  const request = { ip: '127.0.0.1', protocol: 'https' as const, host: 'site.test:8443' }
  const claimed = { host: 'upstream:3000', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example', expect: '100-continue', accept: 'text/html' }
  t.same(requestHeaders(request, claimed, false, 'me'), { host: 'upstream:3000', via: '1.1 me', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'site.test:8443', accept: 'text/html' })
  t.equal(requestHeaders(request, claimed, true, 'me').host, 'site.test:8443', 'the browser\'s Host, where the upstream is to see it')
  t.equal(requestHeaders(request, { via: '1.0 corp-proxy' }, false, 'me').via, '1.0 corp-proxy, 1.1 me', 'Via: this hop added to those before')
})

t.test('a request that came through this proxy already is a loop; through another, not', async t => {
  t.ok(isLooped({ via: '1.0 corp-proxy, 1.1 me' }, 'me'))
  t.notOk(isLooped({ via: '1.1 me-too' }, 'me'))
  t.notOk(isLooped({}, 'me'))
})
