import t from 'tap'
import { upstreamHeaders } from '../../lib/upstream-headers.js'

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
    const rewritten = upstreamHeaders({ location }, UPSTREAM).location!
    t.equal(rewritten, expected, location)
    t.equal(new URL(rewritten, 'http://proxy.test:8080/page').host, 'proxy.test:8080', `${location} stays on the proxy`)
  }
})

t.test('a Location that is not a URL, or is elsewhere, passes as it came', async t => {
  for (const location of ['http://[bad', 'https://a b/', 'http://', 'http://127.0.0.1:5000:x/', 'https://example.test/elsewhere', '/relative', '//cdn.example/x']) {
    t.equal(upstreamHeaders({ location }, UPSTREAM).location, location, location)
  }
  t.equal(upstreamHeaders({ location: 'http://127.0.0.1:5000/a' }, null).location, 'http://127.0.0.1:5000/a', 'no upstream: nothing to compare with')
})

t.test('a header HTTP/2 allows once keeps its first value; the others keep all of theirs', async t => {
  const repeated: Record<string, string | string[]> = {
    'content-type': ['text/html', 'text/plain'],
    etag: ['"a"', '"a"'],
    location: ['http://127.0.0.1:5000/one', 'http://127.0.0.1:5000/two'],
    'set-cookie': ['a=1', 'b=2'],
    vary: 'accept'
  }
  const headers = upstreamHeaders(repeated as never, UPSTREAM)
  t.same(headers, { 'content-type': 'text/html', etag: '"a"', location: '/one', 'set-cookie': ['a=1', 'b=2'], vary: 'accept' })
})
