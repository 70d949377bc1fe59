// The certificate of --https (lib/cli/certificate.ts). Without mkcert: made self-signed, kept in
// the cache directory, reused while it is valid, for exactly the names asked for, and private;
// made again otherwise, saying why. With mkcert (its CA in a temp directory): whether it says to install that CA. The
// user's own files. Files in temp directories; no server.
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
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

/**
 * A certificate for `names` (valid from `notBeforeDate`, default yesterday, until `notAfterDate`;
 * a CA with `isCa`) written where the cache keeps it, into the files there (their modes kept).
 */
async function cache (certFile: string, keyFile: string, names: string[], notAfterDate: Date, notBeforeDate = new Date(Date.now() - 86_400_000), isCa = false): Promise<string> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: isCa },
      { name: 'subjectAltName', altNames: names.map(name => /^[\d.:]+$/.test(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name }) }
    ]
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

  const again = await certificateFor(MADE, '192.168.1.5', env)
  t.equal(again.cert, made.cert, 'reused for the same names')
  t.match(again.notes[0], /\(reused, /)
  t.equal(again.notes.length, 2, 'and nothing more said')
  t.same(httpsServerOptions(again), { http2: true, https: { allowHTTP1: true, key: made.key, cert: made.cert } })

  const fewer = await certificateFor(MADE, '127.0.0.1', env)
  t.match(fewer.notes[0], /\(made now, /, 'made again for fewer names: exactly those asked')
  t.match(fewer.notes[2], /was not reused, a new one was made: it is for DNS:localhost, IP Address:127\.0\.0\.1, .*IP Address:192\.168\.1\.5, not for localhost, 127\.0\.0\.1, ::1 alone$/)
  t.equal(fewer.warning, null, 'a note, not a warning: another --host')
  const named = await certificateFor(MADE, 'dev.example', env)
  t.match(named.notes[0], /\(made now, /, 'made again for a name it lacks')
  t.ok(new X509Certificate(named.cert).checkHost('dev.example'))
})

t.test('made again when the cached one is expired, not valid yet, near its end, for other names, not a pair, or not PEM', async t => {
  const cases: Array<[string, (files: { certFile: string, keyFile: string }) => Promise<unknown>, RegExp]> = [
    ['expired', async ({ certFile, keyFile }) => await cache(certFile, keyFile, LOOPBACK, new Date(Date.now() - 60_000), new Date(Date.now() - 2 * 86_400_000)), /it expired on /],
    ['not valid yet', async ({ certFile, keyFile }) => await cache(certFile, keyFile, LOOPBACK, inAYear(), new Date(Date.now() + 86_400_000)), /it is valid from .* only/],
    ['near its end', async ({ certFile, keyFile }) => await cache(certFile, keyFile, LOOPBACK, new Date(Date.now() + RENEW_BEFORE_MS - 3_600_000)), /it expires on /],
    ['for other names', async ({ certFile, keyFile }) => await cache(certFile, keyFile, ['localhost', '127.0.0.1'], inAYear()), /it is for DNS:localhost, IP Address:127\.0\.0\.1, not for/],
    ['for more names than asked', async ({ certFile, keyFile }) => await cache(certFile, keyFile, [...LOOPBACK, '192.168.1.5'], inAYear()), /IP Address:192\.168\.1\.5, not for localhost, 127\.0\.0\.1, ::1 alone/],
    ['not a pair', async ({ certFile, keyFile }) => {
      const key = readFileSync(keyFile, 'utf8')
      await cache(certFile, keyFile, LOOPBACK, inAYear())
      writeFileSync(keyFile, key)
    }, /key\.pem is not its key/],
    ['not PEM', async ({ certFile }) => { writeFileSync(certFile, 'garbage') }, /it cannot be read/]
  ]
  for (const [name, spoil, reason] of cases) {
    await t.test(name, async t => {
      const { env, certFile, keyFile } = place(t)
      await certificateFor(MADE, '127.0.0.1', env) // the directory and a pair, for spoil() to change
      await spoil({ certFile, keyFile })
      const before = readFileSync(certFile, 'utf8')
      const made = await certificateFor(MADE, '127.0.0.1', env)
      t.match(made.notes[0], /\(made now, /)
      t.match(made.notes[2], reason, 'a line says why')
      t.equal(made.warning, null)
      t.not(made.cert, before)
      t.equal(readFileSync(certFile, 'utf8'), made.cert, 'and cached')
    })
  }
})

t.test('a cached pair that is not private, or not one the command makes, is replaced with a warning that says why', async t => {
  const cases: Array<[string, (files: { certFile: string, keyFile: string }) => Promise<unknown>, RegExp]> = [
    ['a directory and key open to others', async ({ keyFile }) => {
      chmodSync(join(keyFile, '..'), 0o777)
      chmodSync(keyFile, 0o644)
    }, /self-signed was open to other users \(mode 777; now 700\)$/],
    ['a key readable by others', async ({ keyFile }) => { chmodSync(keyFile, 0o640) }, /key\.pem was readable by others \(mode 640\)$/],
    ['a key that is a link', async ({ keyFile }) => {
      renameSync(keyFile, `${keyFile}.real`)
      symlinkSync(`${keyFile}.real`, keyFile)
    }, /cert\.pem or key\.pem is not a regular file \(a link\?\)$/],
    ['a CA certificate for more names', async ({ certFile, keyFile }) => await cache(certFile, keyFile, [...LOOPBACK, '*.google.com'], inAYear(), undefined, true), /it is a CA certificate, which could vouch for any site$/],
    ['a leaf for a wildcard too', async ({ certFile, keyFile }) => await cache(certFile, keyFile, [...LOOPBACK, '*.google.com'], inAYear()), /DNS:\*\.google\.com, not for localhost, 127\.0\.0\.1, ::1 alone$/]
  ]
  for (const [name, spoil, reason] of cases) {
    await t.test(name, async t => {
      const { env, certFile, keyFile } = place(t)
      await certificateFor(MADE, '127.0.0.1', env)
      await spoil({ certFile, keyFile })
      const before = readFileSync(certFile, 'utf8')
      const made = await certificateFor(MADE, '127.0.0.1', env)
      t.match(made.notes[0], /\(made now, /)
      t.match(made.warning, reason)
      t.match(made.warning, /^the cached certificate in .* was not reused, a new one was made: /)
      t.not(made.cert, before)
      const x509 = new X509Certificate(readFileSync(certFile, 'utf8'))
      t.same([x509.ca, x509.subjectAltName], [false, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'], 'a leaf for the names asked, kept')
      t.same([statSync(join(keyFile, '..')).mode & 0o777, statSync(keyFile).mode & 0o777], [0o700, 0o600], 'privately')
      t.equal((await certificateFor(MADE, '127.0.0.1', env)).cert, made.cert, 'and reused next time')
    })
  }
})

t.test('a cache directory that is a link: a certificate for this run only, kept nowhere', async t => {
  const { env, certFile } = place(t)
  const elsewhere = join(env.XDG_CACHE_HOME!, 'elsewhere')
  mkdirSync(elsewhere, { mode: 0o700 })
  mkdirSync(join(certFile, '..', '..'), { recursive: true })
  symlinkSync(elsewhere, join(certFile, '..'))
  const made = await certificateFor(MADE, '127.0.0.1', env)
  t.match(made.notes[0], /self-signed certificate \(made for this run only, valid until /)
  t.match(made.warning, /self-signed is not a directory of its own \(a link\?\): no certificate is kept there$/)
  t.ok(new X509Certificate(made.cert).checkPrivateKey(createPrivateKey(made.key)))
  t.throws(() => readFileSync(join(elsewhere, 'key.pem')), { code: 'ENOENT' }, 'nothing written through the link')
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
