// The channel guard's two policies, as tables: what each request is answered (null: it passes).
import type { IncomingHttpHeaders } from 'node:http'
import t, { type Test } from 'tap'
import { channelPolicy, guard, liveReloadPolicy, type GuardPolicy } from '../../lib/channel/guard.js'

const HOST = '127.0.0.1:3000'
const lists = { allowedHosts: ['dev.example.test', '.team.test'], allowedOrigins: new Set(['https://ok.example']) }
const channel = channelPolicy(lists)
const liveReload = liveReloadPolicy(lists)

type Row = [name: string, headers: IncomingHttpHeaders, channel: number | null, liveReload: number | null]

function check (t: Test, rows: Row[]): void {
  for (const [name, headers, expectedChannel, expectedLiveReload] of rows) {
    t.equal(guard(headers, channel)?.status ?? null, expectedChannel, `channel: ${name}`)
    t.equal(guard(headers, liveReload)?.status ?? null, expectedLiveReload, `livereload: ${name}`)
  }
}

t.test('Host: local names, IP literals and allowedHosts pass; other names 403; malformed 400', async t => {
  check(t, [
    ['localhost', { host: 'localhost:3000' }, null, null],
    ['a subdomain of localhost', { host: 'app.localhost' }, null, null],
    ['a trailing dot, any case', { host: 'LOCALHOST.:3000' }, null, null],
    ['an IPv4 literal', { host: '10.1.2.3:3000' }, null, null],
    ['an IPv6 literal', { host: '[::1]:3000' }, null, null],
    ['a listed name', { host: 'dev.example.test:3000' }, null, null],
    ['a listed domain', { host: 'team.test' }, null, null],
    ['a subdomain of a listed domain', { host: 'a.b.team.test:3000' }, null, null],
    ['a rebinding name', { host: 'evil.example:3000' }, 403, 403],
    ['a name ending like a listed one', { host: 'xteam.test:3000' }, 403, 403],
    ['an IP-looking name', { host: '127.0.0.1.nip.io' }, 403, 403],
    ['no Host', {}, 400, 400],
    ['a space', { host: 'a b' }, 400, 400],
    ['user info', { host: 'evil.example@localhost:3000' }, 400, 400],
    ['a decimal IP (not canonical)', { host: '2130706433' }, 400, 400],
    ['a non-canonical IPv6', { host: '[0:0:0:0:0:0:0:1]:3000' }, 400, 400],
    ['a port out of range', { host: 'localhost:99999' }, 400, 400],
    ['HTTP/2 :authority stands for Host', { ':authority': 'evil.example' } as IncomingHttpHeaders, 403, 403]
  ])
})

t.test('Origin: the page\'s own, allowedOrigins; LiveReload also any port of the Host and extensions', async t => {
  check(t, [
    ['no Origin (a tool, an extension background page)', { host: HOST }, null, null],
    ['the page\'s own origin', { host: HOST, origin: 'http://127.0.0.1:3000' }, null, null],
    ['the page\'s own origin in capitals', { host: HOST, origin: 'HTTP://127.0.0.1:3000' }, null, null],
    ['an allowed origin', { host: HOST, origin: 'https://ok.example' }, null, null],
    ['the same host on another port', { host: HOST, origin: 'http://127.0.0.1:35729' }, 403, null],
    ['a Chrome extension', { host: HOST, origin: 'chrome-extension://abcdef' }, 403, null],
    ['a Firefox extension', { host: HOST, origin: 'moz-extension://6e4ba2b2' }, 403, null],
    ['another site', { host: HOST, origin: 'https://evil.example' }, 403, 403],
    ['another IP address (CVE-2025-30360)', { host: HOST, origin: 'http://127.0.0.2:3000' }, 403, 403],
    ['localhost for a page on 127.0.0.1', { host: HOST, origin: 'http://localhost:3000' }, 403, 403],
    ['null (sandboxed frames, file: pages)', { host: HOST, origin: 'null' }, 403, 403],
    ['file:', { host: HOST, origin: 'file:///home/me/page.html' }, 403, 403],
    ['data:', { host: HOST, origin: 'data:text/html,x' }, 403, 403],
    ['garbage', { host: HOST, origin: 'not an origin' }, 403, 403],
    ['two Origin headers, joined', { host: HOST, origin: 'http://127.0.0.1:3000, https://evil.example' }, 403, 403]
  ])
})

t.test('a cross-site no-cors load is refused on the channel only (livereload.js is a published script)', async t => {
  check(t, [
    ['a cross-site <script src>', { host: HOST, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }, 403, null],
    ['a same-origin <script src>', { host: HOST, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors' }, null, null],
    ['a cross-site WebSocket from an allowed origin', { host: HOST, origin: 'https://ok.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'websocket' }, null, null]
  ])
})

t.test('true opens each list, and each refusal says which option to change', async t => {
  const open: GuardPolicy = { ...channel, allowedHosts: true, allowedOrigins: true }
  t.equal(guard({ host: 'evil.example', origin: 'https://evil.example' }, open), null)
  t.same(guard({ host: 'evil.example' }, channel), { status: 403, code: 'host-not-allowed', reason: 'host "evil.example" is not allowed (see the allowedHosts option)' })
  t.same(guard({ host: HOST, origin: 'https://evil.example' }, channel), { status: 403, code: 'origin-not-allowed', reason: 'cross-origin requests are not allowed (see the allowedOrigins option)' })
  t.same(guard({ host: HOST, origin: 'https://evil.example' }, liveReload), { status: 403, code: 'origin-not-allowed', reason: 'cross-origin LiveReload clients are not allowed (see the allowedOrigins option)' })
  t.same(guard({}, liveReload), { status: 400, code: 'bad-host', reason: 'missing or malformed Host header' })
})
