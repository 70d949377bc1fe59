import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import type { LiveReloadOptions } from '../types/index.js'
import { fixture } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { rawGet } from './helpers/raw-http.js'

const SECRET = 'SECRET-4f1c9e-outside-root'
const DOT = 'DOTFILE-8b2d-contents'

/** A site directory beside a secret one, with dotfiles and symlinks in and out of the site. */
function layout (t: Test): { site: string, outside: string } {
  const dir = fixture(t, {
    outside: { 'secret.txt': SECRET, '.env': `TOKEN=${SECRET}` },
    site: {
      'index.html': '<p>home</p>',
      'page.html': '<p>page</p>',
      'app.js': 'console.log("app")',
      '.env': `TOKEN=${DOT}`,
      '.npmrc': `//registry.example/:_authToken=${DOT}`,
      '.git': { config: `[remote] url=${DOT}` },
      sub: { 'index.html': '<p>sub</p>', '.env': DOT },
      'evil.example': { 'index.html': '<p>a directory named like a host</p>' },
      'link-in.html': t.fixture('symlink', 'page.html'),
      'dir-in': t.fixture('symlink', 'sub'),
      'link-out.txt': t.fixture('symlink', '../outside/secret.txt'),
      'dir-out': t.fixture('symlink', '../outside')
    }
  })
  return { site: join(dir, 'site'), outside: join(dir, 'outside') }
}

async function serve (t: Test, opts: LiveReloadOptions): Promise<number> {
  return (await harness(t, { options: opts })).port
}

const TRAVERSALS = [
  '/../outside/secret.txt',
  '/../../outside/secret.txt',
  '/sub/../../outside/secret.txt',
  '/%2e%2e/outside/secret.txt',
  '/%2E%2E/outside/secret.txt',
  '/.%2e/outside/secret.txt',
  '/%2e./outside/secret.txt',
  '/..%2foutside%2fsecret.txt',
  '/%2e%2e%2foutside%2fsecret.txt',
  '/sub/%2e%2e%2f%2e%2e%2foutside%2fsecret.txt',
  '/..%5coutside%5csecret.txt',
  '/%5c..%5coutside%5csecret.txt',
  '/..\\outside\\secret.txt',
  '/\\..\\outside\\secret.txt',
  '/%252e%252e/outside/secret.txt',
  '/%252e%252e%252foutside%252fsecret.txt',
  '/..%255coutside%255csecret.txt',
  '/%2e%2e%252foutside/secret.txt',
  '/..%00/outside/secret.txt',
  '/index.html%00/../../outside/secret.txt',
  '/%00../outside/secret.txt',
  '/..%c0%afoutside%c0%afsecret.txt',
  '/%c0%ae%c0%ae/outside/secret.txt',
  '/..;/outside/secret.txt',
  '//../outside/secret.txt',
  '/./../outside/secret.txt',
  '/sub/..%2F..%2Foutside/secret.txt',
  '/dir-out/secret.txt',
  '/dir-out/.env',
  '/link-out.txt',
  '/dir-in/../../outside/secret.txt'
]

t.test('no request path reaches a file outside root, in any encoding, sent byte for byte', async t => {
  const { site, outside } = layout(t)
  const port = await serve(t, { root: site })
  const absolute = [join(outside, 'secret.txt'), encodeURIComponent(join(outside, 'secret.txt'))].map(p => `/${p.replace(/^\//, '')}`)
  for (const path of [...TRAVERSALS, ...absolute, `/%2f${encodeURIComponent(join(outside, 'secret.txt').slice(1))}`]) {
    const res = await rawGet(port, path)
    t.notOk(res.raw.includes(SECRET), `${path}: no byte of the secret`)
    t.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`)
  }
  t.equal((await rawGet(port, '/page.html')).status, 200, 'the site itself is served')
})

t.test('traversal is refused under a prefix too', async t => {
  const { site } = layout(t)
  const port = await serve(t, { root: site, prefix: '/site' })
  for (const path of TRAVERSALS.map(p => `/site${p}`).concat(['/site/..%2f..%2foutside/secret.txt', '/site%2f..%2foutside/secret.txt', '/sit%65/../outside/secret.txt'])) {
    const res = await rawGet(port, path)
    t.notOk(res.raw.includes(SECRET), `${path}: no byte of the secret`)
    t.not(res.status, 200, path)
  }
  t.equal((await rawGet(port, '/site/page.html')).status, 200)
})

t.test('dotfiles are not served by default; static.dotfiles overrides', async t => {
  const { site } = layout(t)
  const port = await serve(t, { root: site })
  for (const path of ['/.env', '/.npmrc', '/.git/config', '/sub/.env', '/%2eenv', '/.git/', '/sub/%2Eenv', '/.env%00', '/.env/']) {
    const res = await rawGet(port, path)
    t.notOk(res.raw.includes(DOT), `${path}: not served`)
    t.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`)
  }
  const open = await serve(t, { root: site, static: { dotfiles: 'allow' } })
  t.match((await rawGet(open, '/.env')).body, DOT, 'served when the user asks for it')
})

t.test('symlinks leading out of root are not served; symlinks inside root are', async t => {
  const { site } = layout(t)
  const port = await serve(t, { root: site })
  for (const path of ['/link-out.txt', '/dir-out/secret.txt', '/dir-out/', '/dir-out', '/dir-out/%2eenv']) {
    const res = await rawGet(port, path)
    t.notOk(res.raw.includes(SECRET), `${path}: no byte of the secret`)
    t.equal(res.status, 404, path)
  }
  const inside = await rawGet(port, '/link-in.html')
  t.equal(inside.status, 200)
  t.match(inside.body, '<p>page</p>')
  t.match((await rawGet(port, '/dir-in/')).body, '<p>sub</p>', 'a directory symlink inside root, its index')
  const open = await serve(t, { root: site, static: { allowedPath: undefined, onFile: undefined } })
  t.match((await rawGet(open, '/link-out.txt')).body, SECRET, 'the documented opt-out follows every symlink')
  const own = await serve(t, { root: site, static: { allowedPath: () => true } })
  t.match((await rawGet(own, '/link-out.txt')).body, SECRET, 'your own allowedPath replaces the check, as documented')
})

t.test('an index file or extension that resolves out of root is not served', async t => {
  const { site, outside } = layout(t)
  writeFileSync(join(outside, 'index.html'), SECRET)
  const dir = join(site, 'leaky')
  symlinkSync(join(outside, 'index.html'), join(site, 'sub-index.html'))
  symlinkSync(outside, dir)
  const port = await serve(t, { root: site, static: { extensions: ['html'] } })
  for (const path of ['/leaky/', '/sub-index', '/leaky']) {
    const res = await rawGet(port, path)
    t.notOk(res.raw.includes(SECRET), `${path}: no byte of the secret`)
    t.equal(res.status, 404, path)
  }
})

t.test('a pre-compressed sibling that resolves out of root is not served', async t => {
  const { site, outside } = layout(t)
  writeFileSync(join(outside, 'secret.gz'), gzipSync(SECRET))
  symlinkSync(join(outside, 'secret.gz'), join(site, 'app.js.gz'))
  const port = await serve(t, { root: site, static: { preCompressed: true } })
  const res = await rawGet(port, '/app.js', { 'accept-encoding': 'gzip' })
  t.equal(res.status, 404)
  t.notOk(res.raw.includes(gzipSync(SECRET).subarray(10, 30).toString('latin1')), 'no byte of the compressed secret')
  t.equal((await rawGet(port, '/page.html', { 'accept-encoding': 'gzip' })).status, 200)
})

const REDIRECT_PROBES = ['//evil.example/', '//evil.example', '///evil.example/', '/%2F%2Fevil.example', '/%2f%2fevil.example/',
  '/\\evil.example/', '/%5c%5cevil.example/', '/\\/evil.example/', '//evil.example/sub', '/evil.example', '//evil.example/%2e%2e',
  '/%09/evil.example/', '/%2F/evil.example']

for (const redirect of [false, true]) {
  t.test(`no open redirect on //host/ paths (static.redirect ${String(redirect)})`, async t => {
    const { site } = layout(t)
    const port = await serve(t, { root: site, static: { redirect } })
    for (const path of REDIRECT_PROBES) {
      const res = await rawGet(port, path)
      const location = res.headers.location
      if (location === undefined) t.pass(`${path}: ${res.status}, no Location`)
      else t.match(location, /^\/(?![/\\])/, `${path}: ${res.status} to ${location}, a path on this host`)
    }
    if (redirect) t.equal((await rawGet(port, '/sub')).headers.location, '/sub/', 'directories still redirect to themselves')
  })
}

t.test('a channel path in route syntax is refused at register time, before it shadows the site', async t => {
  const { site } = layout(t)
  for (const path of ['/:x', '/lr/*']) {
    await t.rejects(harness(t, { options: { root: site, path, poll: false }, listen: false }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /option "path"/ }, path)
  }
})
