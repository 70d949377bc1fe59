// What real bursts become, end to end: a checkout-shaped rewrite from another thread, waves
// with pauses, tar and cp from other processes, a builder's sources, a builder's many outputs.
// Each must be exactly one message (one build). Real watcher, real files, a real socket.
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import t, { type Test } from 'tap'
import { connectLiveReload } from '../../lib/testing.js'
import type { LiveReloadTestClient } from '../../types/testing.js'
import type { BuildReport } from '../../types/index.js'
import { harness } from '../helpers/harness.js'
import { writeFromThread } from '../helpers/writer-thread.js'

/**
 * The burst's writer runs in a process of its own, as tar, git and cp do for a user: never in
 * the server's event loop (a synchronous exec would stop the server for the whole burst).
 */
const run = promisify(execFile)
/** A guard against a hang, not a speed check: a 2,000-file burst took 46 s with both cores loaded 7 times over. */
const WAIT_MS = 120_000

const DIRS = 20
const PER_DIR = 100

/** The tree's files with new content, in the order a checkout writes them: one directory after another. */
function rewritten (dir: string, text: string): Array<[string, string]> {
  return Array.from({ length: DIRS * PER_DIR }, (_, i) => [join(dir, `d${Math.floor(i / PER_DIR)}`, `${i % PER_DIR}.html`), `<p>${text} ${i % PER_DIR}</p>`])
}

/** A tree of DIRS × PER_DIR pages, as a checkout leaves it. */
function tree (dir: string, text: string): void {
  for (const [file, content] of rewritten(dir, text)) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, content)
  }
}

/** The same tree as fixture files (paths under `d<n>/`): written with the fixture, before the app watches it. */
function pages (text: string): Record<string, Record<string, string>> {
  const files: Record<string, Record<string, string>> = {}
  for (const [file, content] of rewritten('', text)) (files[dirname(file)] ??= {})[basename(file)] = content
  return files
}

/** The served site in `<base>/site`; `base` has room beside it for what a burst is made from. */
async function site (t: Test): Promise<{ base: string, dir: string, client: LiveReloadTestClient }> {
  const { app, dir: base } = await harness(t, {
    files: { site: { css: { 'site.css': 'a {}' }, ...pages('one') }, staged: {} },
    options: base => ({ root: join(base, 'site') }),
    listen: false
  })
  const dir = join(base, 'site')
  const client = await connectLiveReload(app, { transport: 'socket', timeout: WAIT_MS })
  return { base, dir, client }
}

/** After `burst`: exactly one reload, then the marker's css swap is the very next message. */
async function exactlyOneReload (t: Test, dir: string, client: LiveReloadTestClient, burst: () => Promise<unknown>): Promise<void> {
  const from = client.messages.length
  const reload = client.next('reload')
  await burst()
  await reload
  const marker = client.next(['css', 'reload'])
  await writeFile(join(dir, 'css/site.css'), `a { color: #${String(from).padStart(3, '0')} }`)
  t.same(await marker, { type: 'css', paths: ['/css/site.css'] }, 'nothing of the burst was left for a second message')
  t.same(client.messages.slice(from).map(message => message.type), ['reload', 'css'])
}

t.test('2,000 files in 20 directories rewritten from another thread: one reload', async t => {
  const { dir, client } = await site(t)
  await exactlyOneReload(t, dir, client, async () => await writeFromThread(rewritten(dir, 'two')))
})

t.test('three waves of the same rewrite, 30 ms apart: one reload', async t => {
  const { dir, client } = await site(t)
  await exactlyOneReload(t, dir, client, async () => await writeFromThread(rewritten(dir, 'two'), { waves: 3, pauseMs: 30 }))
})

t.test('tar -x of 2,000 files over the tree: one reload', async t => {
  const { base, dir, client } = await site(t)
  tree(join(base, 'staged'), 'tarred')
  const archive = join(base, 'site.tar')
  execFileSync('tar', ['-cf', archive, '-C', join(base, 'staged'), '.'])
  await exactlyOneReload(t, dir, client, async () => await run('tar', ['-xf', archive, '-C', dir]))
})

t.test('rm -rf out && cp -r src out, inside the root: one reload', async t => {
  const { base, dir, client } = await site(t)
  tree(join(base, 'staged'), 'copied')
  tree(join(dir, 'out'), 'old')
  await exactlyOneReload(t, dir, client, async () => await run('sh', ['-c', `rm -rf '${dir}/out' && cp -r '${base}/staged' '${dir}/out'`]))
})

t.test('git checkout between two commits that differ in 2,000 files: one reload each way', async t => {
  const { dir, client } = await site(t)
  const git = (...args: string[]): Buffer => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-C', dir, ...args])
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'one')
  const ready = client.next('reload')
  tree(dir, 'two')
  git('commit', '-qam', 'two')
  await ready // the commit's own rewrite
  const checkout = async (to: string): Promise<unknown> => await run('git', ['-C', dir, 'checkout', '-q', to])
  await exactlyOneReload(t, dir, client, async () => await checkout('HEAD~1'))
  await exactlyOneReload(t, dir, client, async () => await checkout('-'))
})

t.test('a rewrite of 2,000 source files is one build', async t => {
  const reports: BuildReport[] = []
  const { app, dir } = await harness(t, {
    files: { dist: { 'index.html': 'x' }, src: pages('one') },
    options: dir => ({
      root: join(dir, 'dist'),
      watch: [join(dir, 'src')],
      builder: { name: 'stamp', build: async ctx => await writeFile(join(dir, 'dist/index.html'), `${ctx.changes.length}`) },
      onBuildEnd: report => { reports.push(report) }
    }),
    listen: false
  })
  const client = await connectLiveReload(app, { transport: 'socket', timeout: WAIT_MS })
  const built = reports.length
  const reload = client.next('reload')
  await writeFromThread(rewritten(join(dir, 'src'), 'two'))
  await reload
  const marker = client.next('reload')
  await writeFile(join(dir, 'src/marker.txt'), 'marker')
  await marker
  t.same(reports.slice(built).map(report => report.changes.length), [DIRS * PER_DIR, 1], 'the burst in one build, then the marker alone')
})

t.test('a build that writes 50 pages and does not say so sends one message naming all of them', async t => {
  const { app, dir } = await harness(t, {
    files: { src: { 'in.txt': 'x' }, dist: {} },
    options: dir => ({
      root: join(dir, 'dist'),
      watch: [join(dir, 'src')],
      builder: {
        name: 'pages',
        async build () {
          await Promise.all(Array.from({ length: 50 }, async (_, i) => await writeFile(join(dir, 'dist', `p${i}.html`), `<p>${Math.random()}</p>`)))
        }
      }
    }),
    listen: false
  })
  const client = await connectLiveReload(app, { transport: 'socket', timeout: WAIT_MS })
  const from = client.messages.length
  const reload = client.next('reload')
  await writeFile(join(dir, 'src/in.txt'), 'y')
  const message = await reload
  t.same([...message.paths].sort(), Array.from({ length: 50 }, (_, i) => `/p${i}.html`).sort())
  const marker = client.next(['reload', 'css'])
  await writeFile(join(dir, 'src/in.txt'), 'z')
  await marker
  t.same(client.messages.slice(from).map(m => m.type), ['building', 'reload', 'building', 'reload'], 'one message per build, the watcher\'s late copies absorbed')
})
