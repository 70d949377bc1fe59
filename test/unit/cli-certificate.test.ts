// The certificate of --https (lib/cli/certificate.ts). Without mkcert: made self-signed, kept in
// the cache directory, reused while it is valid and covers the names asked for, made again
// otherwise. With mkcert (its CA in a temp directory): whether it says to install that CA. The
// user's own files. Files in temp directories; no server.
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import t, { type Test } from 'tap'
import { cacheDir, certificateFor, certificateNames, httpsServerOptions, RENEW_BEFORE_MS } from '../../lib/cli/certificate.js'
import { networkAddresses } from '../../lib/cli/listen.js'
import { fixture } from '../helpers/fixture.js'

const MADE = { kind: 'made' } as const

/** An environment without mkcert (an empty PATH) whose cache is a temp directory; where the cached files are. */
function place (t: Test): { env: NodeJS.ProcessEnv, certFile: string, keyFile: string } {
  const dir = fixture(t, { bin: {}, cache: {} })
  const cached = join(dir, 'cache', 'fastify-livereload', 'self-signed')
  return { env: { PATH: join(dir, 'bin'), XDG_CACHE_HOME: join(dir, 'cache') }, certFile: join(cached, 'cert.pem'), keyFile: join(cached, 'key.pem') }
}

/** A certificate for `names` (valid from `notBeforeDate`, default yesterday, until `notAfterDate`) written where the cache keeps it. */
async function cache (certFile: string, keyFile: string, names: string[], notAfterDate: Date, notBeforeDate = new Date(Date.now() - 86_400_000)): Promise<string> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    notBeforeDate,
    notAfterDate,
    extensions: [{ name: 'subjectAltName', altNames: names.map(name => /^[\d.:]+$/.test(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name }) }]
  })
  writeFileSync(certFile, pems.cert)
  writeFileSync(keyFile, pems.private)
  return pems.cert
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1']
const inAYear = (): Date => new Date(Date.now() + 365 * 86_400_000)

t.test('the names: loopback, the address listened on, and every network address for a wildcard', async t => {
  t.same(certificateNames('127.0.0.1'), LOOPBACK)
  t.same(certificateNames('192.168.1.5'), [...LOOPBACK, '192.168.1.5'])
  t.same(certificateNames('dev.example'), [...LOOPBACK, 'dev.example'])
  t.same(certificateNames('[::1]'), LOOPBACK, 'brackets off, and once')
  t.same(certificateNames('0.0.0.0'), [...LOOPBACK, ...networkAddresses('0.0.0.0')])
  t.same(certificateNames('::'), [...LOOPBACK, ...networkAddresses('::')])
})

t.test('the cache: $XDG_CACHE_HOME when absolute, else ~/.cache', async t => {
  t.equal(cacheDir({ XDG_CACHE_HOME: '/var/cache/me' }), join('/var/cache/me', 'fastify-livereload'))
  t.equal(cacheDir({ XDG_CACHE_HOME: 'relative' }), join(homedir(), '.cache', 'fastify-livereload'), 'a relative one is ignored, as the spec says')
  t.equal(cacheDir({}), join(homedir(), '.cache', 'fastify-livereload'))
})

t.test('made once, for the names asked, the key readable by its owner only; then reused', async t => {
  const { env, certFile, keyFile } = place(t)
  const made = await certificateFor(MADE, '192.168.1.5', env)
  t.match(made.notes[0], /self-signed certificate \(made now, valid until /)
  t.equal(made.warning, null)
  const x509 = new X509Certificate(made.cert)
  for (const ip of ['127.0.0.1', '::1', '192.168.1.5']) t.ok(x509.checkIP(ip), ip)
  t.ok(x509.checkHost('localhost'), 'localhost')
  t.ok(x509.checkPrivateKey(createPrivateKey(made.key)), 'the key is the certificate\'s')
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'key.pem: 0600')
  t.equal(statSync(join(keyFile, '..')).mode & 0o777, 0o700, 'its directory: 0700')
  t.equal(readFileSync(certFile, 'utf8'), made.cert, 'cert.pem: the file to trust')

  const again = await certificateFor(MADE, '127.0.0.1', env)
  t.equal(again.cert, made.cert, 'reused for names it covers')
  t.match(again.notes[0], /\(reused, /)
  t.same(httpsServerOptions(again), { http2: true, https: { allowHTTP1: true, key: made.key, cert: made.cert } })

  const named = await certificateFor(MADE, 'dev.example', env)
  t.match(named.notes[0], /\(made now, /, 'made again for a name it lacks')
  t.ok(new X509Certificate(named.cert).checkHost('dev.example'))
})

t.test('made again when the cached one is expired, not valid yet, near its end, for other names, not a pair, or not PEM', async t => {
  const cases: Array<[string, (files: { certFile: string, keyFile: string }) => Promise<unknown>]> = [
    ['expired', async ({ certFile, keyFile }) => await cache(certFile, keyFile, LOOPBACK, new Date(Date.now() - 60_000), new Date(Date.now() - 2 * 86_400_000))],
    ['not valid yet', async ({ certFile, keyFile }) => await cache(certFile, keyFile, LOOPBACK, inAYear(), new Date(Date.now() + 86_400_000))],
    ['near its end', async ({ certFile, keyFile }) => await cache(certFile, keyFile, LOOPBACK, new Date(Date.now() + RENEW_BEFORE_MS - 3_600_000))],
    ['for other names', async ({ certFile, keyFile }) => await cache(certFile, keyFile, ['localhost', '127.0.0.1'], inAYear())],
    ['not a pair', async ({ certFile, keyFile }) => {
      const key = readFileSync(keyFile, 'utf8')
      await cache(certFile, keyFile, LOOPBACK, inAYear())
      writeFileSync(keyFile, key)
    }],
    ['not PEM', async ({ certFile }) => { writeFileSync(certFile, 'garbage') }]
  ]
  for (const [name, spoil] of cases) {
    await t.test(name, async t => {
      const { env, certFile, keyFile } = place(t)
      await certificateFor(MADE, '127.0.0.1', env) // the directory and a pair, for spoil() to change
      await spoil({ certFile, keyFile })
      const before = readFileSync(certFile, 'utf8')
      const made = await certificateFor(MADE, '127.0.0.1', env)
      t.match(made.notes[0], /\(made now, /)
      t.not(made.cert, before)
      t.equal(readFileSync(certFile, 'utf8'), made.cert, 'and cached')
    })
  }
})

t.test('a cached certificate valid beyond the renewal margin, for more names than asked, is reused', async t => {
  const { env, certFile, keyFile } = place(t)
  await certificateFor(MADE, '127.0.0.1', env)
  const cert = await cache(certFile, keyFile, [...LOOPBACK, '192.168.1.5'], new Date(Date.now() + RENEW_BEFORE_MS + 3_600_000))
  t.equal((await certificateFor(MADE, '127.0.0.1', env)).cert, cert)
})

t.test('with mkcert: its CA made in CAROOT, and a warning until that CA is in the trust stores', async t => {
  const dir = fixture(t, { caroot: {}, cache: {} })
  const env = { PATH: process.env.PATH, CAROOT: join(dir, 'caroot'), XDG_CACHE_HOME: join(dir, 'cache') }
  const untrusted = await certificateFor(MADE, '127.0.0.1', env)
  t.same(untrusted.notes, ['HTTPS with mkcert\'s certificate for localhost, 127.0.0.1, ::1, signed by its local CA'])
  t.match(untrusted.warning, /until you run `mkcert -install`/)
  t.ok(new X509Certificate(untrusted.cert).verify(new X509Certificate(readFileSync(join(dir, 'caroot', 'rootCA.pem'))).publicKey), 'signed by the CA in CAROOT')
  // mkcert checks only the trust stores TRUST_STORES names: none, so none lacks its CA
  t.equal((await certificateFor(MADE, '127.0.0.1', { ...env, TRUST_STORES: 'none' })).warning, null, 'no warning once trusted')
})

t.test('a mkcert that cannot run (not executable) stops the start with the reason', async t => {
  const dir = fixture(t, { bin: { mkcert: 'not a program' }, cache: {} })
  await t.rejects(certificateFor(MADE, '127.0.0.1', { PATH: join(dir, 'bin'), XDG_CACHE_HOME: join(dir, 'cache') }), { message: 'mkcert failed: spawn mkcert EACCES' })
})

t.test('your own files: said by path and names; one without a name says browsers need one', async t => {
  const dir = fixture(t, {})
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', extensions: [{ name: 'basicConstraints', cA: false }] })
  mkdirSync(join(dir, 'tls'))
  writeFileSync(join(dir, 'tls', 'cert.pem'), pems.cert)
  writeFileSync(join(dir, 'tls', 'key.pem'), pems.private)
  const yours = await certificateFor({ kind: 'files', cert: join(dir, 'tls', 'cert.pem'), key: join(dir, 'tls', 'key.pem') }, '127.0.0.1')
  t.match(yours.notes[0], /^HTTPS with your certificate .*tls\/cert\.pem \(for no name: browsers need a subjectAltName\)$/)
  t.equal(yours.warning, null, 'not expired')
  t.equal(yours.key, pems.private)
})
