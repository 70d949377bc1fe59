import { once } from 'node:events'
import { existsSync, watch } from 'node:fs'
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { BuildContext, BuildErrorInfo, BuildOutcome, FileChange, MergeContext, ShardedBuilderOptions, ShardResult } from '../types/index.js'
import { shardedBuilder } from '../lib/builders/sharded/sharded.js'
import { partition, shardFunction } from '../lib/builders/sharded/partition.js'
import { connectLiveReload } from '../lib/testing.js'
import { fixture, type Files } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { collectingLogger } from './helpers/log.js'
import { withoutTrackerInThreads } from './helpers/threads.js'

const WORKER = new URL('./fixtures/sharded/worker.js', import.meta.url)

// Every test here starts worker threads, and no child process.
withoutTrackerInThreads()

interface PageData { pages: string[], full: boolean, changes: string[] }
type Built = Omit<BuildOutcome, 'errors'> & { errors?: BuildErrorInfo[] }

/** A site in a temp dir: src/<section>/<page>.md, with out/, cache/ and the calls log beside. */
function site (t: Test, files: Files = defaultPages()) {
  const dir = fixture(t, { src: files, 'layout.html': '<main>{{body}}</main>', calls: '' })
  const paths = { dir, src: join(dir, 'src'), out: join(dir, 'out'), cache: join(dir, 'cache'), calls: join(dir, 'calls'), layout: join(dir, 'layout.html') }
  const merges: Array<{ shards: Array<ShardResult<PageData>>, ctx: MergeContext }> = []
  const make = (options: Partial<ShardedBuilderOptions<PageData>> = {}) => {
    const builder = shardedBuilder<PageData>({
      worker: WORKER,
      sources: paths.src,
      include: '**/*.md',
      shared: paths.layout,
      cache: paths.cache,
      concurrency: 2,
      execArgv: [], // not tap's TypeScript loader and coverage hooks: a worker starts in ms, not seconds
      workerData: { src: paths.src, out: paths.out, calls: paths.calls, layout: paths.layout },
      merge: (shards, ctx) => { merges.push({ shards, ctx }) },
      ...options
    })
    t.teardown(() => builder.close?.())
    return builder
  }
  /** The shard keys built since the last call, sorted. */
  let seen = 0
  const built = async () => {
    const lines = (await readFile(paths.calls, 'utf8')).split('\n').filter(Boolean)
    const fresh = lines.slice(seen).sort()
    seen = lines.length
    return fresh
  }
  /** A builder that has run its first, full build (whose shards `built()` no longer lists). */
  const ready = async (options: Partial<ShardedBuilderOptions<PageData>> = {}) => {
    const builder = make(options)
    await build(builder, ctx([], true))
    await built()
    return builder
  }
  return { ...paths, make, ready, merges, built }
}

function defaultPages (): Files {
  return {
    'index.md': 'home',
    guide: { 'a.md': 'guide a', 'b.md': 'guide b' },
    api: { 'x.md': 'api x', 'y.md': 'api y', 'notes.txt': 'not an input' },
    blog: { 'p.md': 'post p' }
  }
}

function ctx (changes: FileChange[] = [], full = false, signal = new AbortController().signal): BuildContext {
  return { changes, full, signal, log: collectingLogger().log }
}

const build = async (builder: ReturnType<typeof shardedBuilder>, c = ctx()) => (await builder.build(c)) as Built

t.test('partitioning is deterministic: the same files give the same shards, whatever their order', async t => {
  const files = ['index.md', 'guide/a.md', 'guide/deep/b.md', 'api/x.md', 'api/y.md', 'blog/p.md']
    .map(relative => ({ path: `/site/${relative}`, relative, source: '/site' }))
  const byDirectory = partition(files, shardFunction('directory', 16))
  t.same([...byDirectory], [['.', ['/site/index.md']], ['api', ['/site/api/x.md', '/site/api/y.md']], ['blog', ['/site/blog/p.md']], ['guide', ['/site/guide/a.md', '/site/guide/deep/b.md']]])
  t.same([...partition([...files].reverse(), shardFunction('directory', 16))], [...byDirectory], 'input order does not matter')

  const many = Array.from({ length: 400 }, (_, i) => ({ path: `/s/p${i}.md`, relative: `p${i}.md`, source: '/s' }))
  const hashed = partition(many, shardFunction('hash', 12))
  t.same([...partition([...many].reverse(), shardFunction('hash', 12))], [...hashed])
  t.equal(hashed.size, 12, 'every one of the N shards is used')
  t.ok([...hashed.keys()].every(key => /^\d\d$/.test(key)), 'keys are zero-padded numbers, so they sort')
  t.ok([...hashed.values()].every(list => list.length > 15 && list.length < 55), 'spread evenly')
  t.same([...partition(files, shardFunction(file => file.relative.length > 8 ? 'long' : 'short', 1)).keys()], ['long', 'short'])
  t.throws(() => partition(files, shardFunction(() => '', 1)), /shardOf returned an empty string for index\.md/)
})

t.test('the first build builds every shard; the merge sees every shard, sorted; a build with no edits builds none', async t => {
  const s = site(t)
  const builder = s.make()
  const first = await build(builder, ctx([], true))
  t.equal(first.errors, undefined)
  t.same(await s.built(), ['.', 'api', 'blog', 'guide'])
  t.equal(await readFile(join(s.out, 'guide/a.html'), 'utf8'), '<main>GUIDE A</main>')
  t.notOk(existsSync(join(s.out, 'api/notes.html')), 'include filters the inputs')
  t.equal(first.outputs?.length, 6)
  const [merge] = s.merges
  t.same(merge.shards.map(shard => [shard.key, shard.rebuilt, shard.data?.pages]), [
    ['.', true, ['index.md']], ['api', true, ['api/x.md', 'api/y.md']], ['blog', true, ['blog/p.md']], ['guide', true, ['guide/a.md', 'guide/b.md']]
  ])
  t.same(merge.ctx.rebuilt, ['.', 'api', 'blog', 'guide'])
  t.ok(merge.shards.every(shard => shard.data?.full === true))

  const again = await build(builder)
  t.same(await s.built(), [], 'nothing changed: no shard built')
  t.same(again.outputs, [])
  t.equal(s.merges.length, 1, 'nor merged')
})

t.test('one edited file rebuilds its shard only, told what changed', async t => {
  const s = site(t)
  const builder = await s.ready()
  await writeFile(join(s.src, 'guide/b.md'), 'guide b, edited')
  const result = await build(builder, ctx([{ path: join(s.src, 'guide/b.md'), type: 'update' }]))
  t.same(await s.built(), ['guide'])
  t.same(result.outputs, [join(s.out, 'guide/a.html'), join(s.out, 'guide/b.html')])
  const merge = s.merges[1]
  t.same(merge.ctx.rebuilt, ['guide'])
  t.same(merge.shards.map(shard => shard.key), ['.', 'api', 'blog', 'guide'], 'the merge still sees every shard')
  t.same(merge.shards.find(shard => shard.key === 'guide')?.data, { pages: ['guide/a.md', 'guide/b.md'], full: false, changes: ['update:b.md'] })
  t.same(merge.shards.find(shard => shard.key === 'api')?.data?.pages, ['api/x.md', 'api/y.md'], 'cached shards keep their data')

  await writeFile(join(s.src, 'guide/c.md'), 'guide c')
  await writeFile(join(s.src, 'api/z.md'), 'api z')
  await build(builder) // the watcher's changes are hints: the scan finds new files without them
  t.same(await s.built(), ['api', 'guide'])
  t.same(s.merges[2].shards.find(shard => shard.key === 'api')?.data?.changes, ['create:z.md'])
})

t.test('a change to a shared input rebuilds every shard, whole', async t => {
  const s = site(t)
  const builder = await s.ready()
  await writeFile(s.layout, '<article>{{body}}</article>')
  await build(builder, ctx([{ path: s.layout, type: 'update' }]))
  t.same(await s.built(), ['.', 'api', 'blog', 'guide'])
  t.equal(await readFile(join(s.out, 'blog/p.html'), 'utf8'), '<article>POST P</article>')
  t.ok(s.merges[1].shards.every(shard => shard.data?.full === true))
})

t.test('the cache survives a restart: a new builder with no edits builds no shard', async t => {
  const s = site(t)
  const first = await s.ready()
  await first.close?.()

  const restarted = s.make()
  const result = await build(restarted, ctx([], true))
  t.same(await s.built(), [], '0 shards built')
  t.same(result.outputs, [])
  t.equal(s.merges.length, 1, 'the merge of the last run still stands')

  const editedMerge = s.make({ merge: (shards, ctx) => { s.merges.push({ shards, ctx }); return { outputs: [] } } })
  await build(editedMerge, ctx([], true))
  t.same(await s.built(), [], 'a merge function edited meanwhile: no shard built…')
  t.equal(s.merges.length, 2, '…but the merge runs again')
  await editedMerge.close?.()

  await writeFile(join(s.src, 'blog/p.md'), 'post p, edited while the server was down')
  await rm(join(s.out, 'api/x.html'))
  const third = s.make()
  await build(third, ctx([], true))
  t.same(await s.built(), ['api', 'blog'], 'an edit made meanwhile, and a shard whose output went missing')
  t.equal(await readFile(join(s.out, 'blog/p.html'), 'utf8'), '<main>POST P, EDITED WHILE THE SERVER WAS DOWN</main>')
})

t.test('deleted inputs: the shard rebuilds and stale outputs go; an emptied shard is removed, cache entry and all', async t => {
  const s = site(t)
  const builder = await s.ready()
  await rm(join(s.src, 'guide/b.md'))
  const result = await build(builder, ctx([{ path: join(s.src, 'guide/b.md'), type: 'delete' }]))
  t.same(await s.built(), ['guide'])
  t.same(s.merges[1].shards.find(shard => shard.key === 'guide')?.data?.changes, ['delete:b.md'])
  t.notOk(existsSync(join(s.out, 'guide/b.html')), 'the page of the deleted source is pruned')
  t.ok(result.outputs?.includes(join(s.out, 'guide/b.html')), 'and reported, so browsers reload')

  const shardFiles = async () => (await readdir(join(s.cache, 'shards'))).length
  t.equal(await shardFiles(), 4)
  await rm(join(s.src, 'blog'), { recursive: true })
  await build(builder, ctx([{ path: join(s.src, 'blog'), type: 'delete' }]))
  t.same(await s.built(), [], 'nothing to build')
  t.same(s.merges[2].ctx.removed, ['blog'])
  t.same(s.merges[2].shards.map(shard => shard.key), ['.', 'api', 'guide'])
  t.notOk(existsSync(join(s.out, 'blog/p.html')), 'the removed shard\'s outputs are pruned')
  t.equal(await shardFiles(), 3, 'and its cache entry deleted')
  const manifest = JSON.parse(await readFile(join(s.cache, 'manifest.json'), 'utf8'))
  t.notOk(manifest.files.some(([path]: [string]) => path.includes('/blog/') || path.endsWith('/b.md')), 'no stale file records')
})

t.test('prune: false keeps the outputs of deleted sources', async t => {
  const s = site(t)
  const builder = s.make({ prune: false })
  await build(builder, ctx([], true))
  await rm(join(s.src, 'guide/b.md'))
  await build(builder)
  t.ok(existsSync(join(s.out, 'guide/b.html')))
})

t.test('a failing shard fails the build with its errors; the other shards\' outputs are kept', async t => {
  const s = site(t)
  const builder = await s.ready()
  await writeFile(join(s.src, 'api/y.md'), 'FAIL')
  await writeFile(join(s.src, 'guide/a.md'), 'guide a, edited')
  const failed = await build(builder)
  t.same(await s.built(), ['api', 'guide'])
  t.match(failed.errors, [{ message: 'cannot build y.md', file: /src\/api\/y\.md$/, line: 1 }])
  t.same(failed.outputs, [join(s.out, 'guide/a.html'), join(s.out, 'guide/b.html')], 'the good shard\'s outputs')
  t.equal(await readFile(join(s.out, 'guide/a.html'), 'utf8'), '<main>GUIDE A, EDITED</main>')
  t.equal(s.merges.length, 1, 'no merge over a failed shard')

  await writeFile(join(s.src, 'api/y.md'), 'THROW')
  t.match((await build(builder)).errors, [{ message: 'bad page y.md', line: 2 }], 'a thrown error keeps its location')
  await writeFile(join(s.src, 'api/y.md'), 'api y, fixed')
  const fixed = await build(builder)
  t.equal(fixed.errors, undefined)
  t.same(await s.built(), ['api', 'api'], 'only the failed shard again')
  t.same(s.merges[1].ctx.rebuilt, ['api'])
  t.ok(s.merges[1].shards.find(shard => shard.key === 'api')?.data?.full, 'a failed shard is rebuilt whole')
})

t.test('a worker that exits, throws uncaught, hangs or runs out of memory fails its shard only, and the pool recovers', async t => {
  const s = site(t)
  // Only HANG ends by the shard timeout. The others get a long one: on a loaded machine a healthy
  // shard beside a worker that thrashes its heap must never run into it.
  const patient = s.make({ timeout: 30_000, maxMemory: 64 })
  const hasty = s.make({ timeout: 2000, maxMemory: 64 })
  const cases: Array<[string, RegExp, typeof patient]> = [
    ['EXIT', /shard "api" failed: its worker died \(worker exited with code: 3\)/, patient],
    ['UNCAUGHT', /shard "api" failed: its worker died \(uncaught in the worker\)/, patient],
    ['HANG', /shard "api" timed out after 2000 ms; its worker was stopped/, hasty],
    ['OOM', /shard "api" failed: its worker died \(.*out of memory/i, patient]
  ]
  for (const builder of [patient, hasty]) await build(builder, ctx([], true))
  for (const [how, expected, builder] of cases) {
    await s.built()
    await writeFile(join(s.src, 'api/x.md'), how)
    await writeFile(join(s.src, 'guide/a.md'), `guide a, ${how}`)
    const failed = await build(builder)
    t.match(failed.errors, [{ message: expected }], how)
    t.equal(failed.errors?.length, 1, `only that shard failed: ${failed.errors?.map(error => error.message).join('; ')}`)
    t.equal(await readFile(join(s.out, 'guide/a.html'), 'utf8'), `<main>GUIDE A, ${how}</main>`, 'the other shard was built')
    await writeFile(join(s.src, 'api/x.md'), `api x after ${how}`)
    const recovered = await build(builder)
    t.equal(recovered.errors, undefined, `the next build works after ${how}`)
    t.equal(await readFile(join(s.out, 'api/x.html'), 'utf8'), `<main>API X AFTER ${how}</main>`)
  }
})

t.test('the output is identical to a sequential build of the same site', async t => {
  const pages: Record<string, Record<string, string>> = {}
  for (let i = 0; i < 60; i++) (pages[`s${i % 7}`] ??= {})[`p${i}.md`] = `page ${i}\n${'text '.repeat(i)}`
  const s = site(t, pages)
  const sequential = s.make({ concurrency: 1, shardOf: 'directory', cache: false })
  await build(sequential, ctx([], true))
  const expected = await tree(s.out)
  const sequentialMerge = s.merges[0].shards
  await rm(s.out, { recursive: true })
  const parallel = s.make({ concurrency: 4, shardOf: 'hash', shards: 9, cache: false })
  await build(parallel, ctx([], true))
  t.equal(Object.keys(expected).length, 60)
  t.same(await tree(s.out), expected)
  const pagesOf = (shards: Array<ShardResult<PageData>>) => shards.flatMap(shard => shard.data?.pages ?? []).sort()
  t.same(pagesOf(s.merges[1].shards), pagesOf(sequentialMerge), 'the merge sees the same pages')
})

t.test('an abort stops the shards not started yet; the next build does them all', async t => {
  // The shards run in key order, one at a time: s0, slow, is running when the abort comes.
  const pages: Record<string, Record<string, string>> = {}
  for (let i = 0; i < 8; i++) pages[`s${i}`] = { 'p.md': i === 0 ? 'SLOW 300' : `page ${i}` }
  const s = site(t, pages)
  const builder = s.make({ concurrency: 1 })
  const controller = new AbortController()
  const { log, lines } = collectingLogger()
  const watcher = watch(s.calls) // the first shard appends its key as it starts
  t.teardown(() => watcher.close())
  const started = once(watcher, 'change')
  const running = builder.build({ changes: [], full: true, signal: controller.signal, log }) as Promise<Built>
  await started
  controller.abort()
  t.match((await running).errors, [{ message: 'the build was aborted' }])
  t.same((await s.built()).length, 1, 'the running shard was stopped, the 7 queued never started')
  t.match(lines.find(line => line.msg === 'shards built'), { shards: 8, built: 0 })
  t.equal(s.merges.length, 0, 'no merge after an abort')
  t.equal((await build(builder)).errors, undefined)
  t.equal((await s.built()).length, 8, 'the next build builds them all')
  t.equal(s.merges.length, 1)
})

t.test('merge errors fail the build, and the merge runs again on the next build', async t => {
  const s = site(t)
  let fail = true
  const builder = s.make({
    merge: () => {
      if (fail) throw new Error('sitemap failed')
      return { outputs: [join(s.out, 'sitemap.xml')] }
    }
  })
  t.match((await build(builder, ctx([], true))).errors, [{ message: 'sitemap failed' }])
  fail = false
  const next = await build(builder)
  t.same(next.errors, undefined)
  t.same(next.outputs, [join(s.out, 'sitemap.xml')], 'no shard to build, the merge only')
  t.same(await s.built(), ['.', 'api', 'blog', 'guide'])
  t.same((await build(builder)).outputs, [], 'and once it succeeded, not again')
})

t.test('an edit of the worker module rebuilds every shard, run by fresh threads with the new code', async t => {
  const s = site(t)
  const worker = join(s.dir, 'worker.js')
  await writeFile(worker, await readFile(WORKER, 'utf8'))
  const builder = await s.ready({ worker })
  await writeFile(worker, (await readFile(worker, 'utf8')).replace('text.toUpperCase()', 'text.toLowerCase()'))
  await build(builder)
  t.same(await s.built(), ['.', 'api', 'blog', 'guide'])
  t.equal(await readFile(join(s.out, 'guide/a.html'), 'utf8'), '<main>guide a</main>')
})

t.test('shared inputs may be directories and globs; a symlinked file is an input, a symlinked directory is not', async t => {
  const s = site(t)
  const partials = join(s.dir, 'partials')
  await mkdir(partials)
  await writeFile(join(partials, 'nav.html'), 'nav')
  await writeFile(join(s.dir, 'site.json'), '{}')
  await symlink(join(s.dir, 'site.json'), join(s.src, 'guide/linked.md'))
  await symlink(s.src, join(s.src, 'api/loop'))
  const builder = s.make({ shared: [partials, 'config/*.json', s.layout], cwd: s.dir })
  await build(builder, ctx([], true))
  t.same(s.merges[0].shards.find(shard => shard.key === 'guide')?.data?.pages, ['guide/a.md', 'guide/b.md', 'guide/linked.md'])
  t.same(s.merges[0].shards.find(shard => shard.key === 'api')?.data?.pages, ['api/x.md', 'api/y.md'], 'no loop through the linked directory')
  await s.built()
  await writeFile(join(partials, 'nav.html'), 'new nav')
  await build(builder)
  t.same(await s.built(), ['.', 'api', 'blog', 'guide'], 'a file in a shared directory')
  await mkdir(join(s.dir, 'config'))
  await writeFile(join(s.dir, 'config/site.json'), '{"title":"x"}')
  await build(builder)
  t.same(await s.built(), ['.', 'api', 'blog', 'guide'], 'a new file matching a shared glob')
})

t.test('a shardOf that returns no key fails the build, naming the file', async t => {
  const s = site(t)
  const builder = s.make({ shardOf: file => (file.relative.startsWith('blog/') ? undefined : 'all') as string })
  t.match((await build(builder)).errors, [{ message: 'shardOf returned undefined for blog/p.md: it must return a non-empty string' }])
  t.same(await s.built(), [])
})

t.test('merge errors returned (not thrown) fail the build too', async t => {
  const s = site(t)
  const builder = s.make({ merge: () => ({ errors: ['no sitemap'] }) })
  t.match((await build(builder)).errors, [{ message: 'no sitemap' }])
})

t.test('a corrupt cache is ignored; an unwritable one logs one warning and the builds go on', async t => {
  const s = site(t)
  const first = await s.ready()
  await first.close?.()
  await writeFile(join(s.cache, 'manifest.json'), '{ not json')
  const afterCorruption = s.make()
  t.equal((await build(afterCorruption, ctx([], true))).errors, undefined)
  t.same(await s.built(), ['.', 'api', 'blog', 'guide'], 'every shard built again')

  const blocked = join(s.dir, 'blocked')
  await writeFile(blocked, 'a file where the cache directory should be')
  const unwritable = s.make({ cache: join(blocked, 'cache') })
  const { log, lines } = collectingLogger()
  t.equal((await build(unwritable, { ...ctx([], true), log })).errors, undefined)
  await writeFile(join(s.src, 'guide/a.md'), 'guide a, edited')
  t.equal((await build(unwritable, { ...ctx(), log })).errors, undefined)
  t.same(await s.built(), ['.', 'api', 'blog', 'guide', 'guide'], 'the memory still works between builds')
  t.equal(lines.filter(line => line.msg === 'cannot write the shard cache; the next start rebuilds every shard').length, 1)
})

t.test('a missing or broken worker module fails the build with a clear message', async t => {
  const s = site(t)
  const missing = s.make({ worker: join(s.dir, 'nope.js') })
  t.match((await build(missing)).errors, [{ message: /worker module .*nope\.js does not exist/ }])
  await writeFile(join(s.dir, 'empty.js'), 'export const nothing = 1\n')
  const empty = s.make({ worker: join(s.dir, 'empty.js') })
  t.match((await build(empty)).errors?.[0], { message: /must export a buildShard function/ })
})

t.test('close during a build stops its shards at once', async t => {
  const pages: Record<string, Record<string, string>> = {}
  for (let i = 0; i < 4; i++) pages[`s${i}`] = { 'p.md': 'HANG' }
  const s = site(t, pages)
  const builder = s.make({ concurrency: 1 })
  const watcher = watch(s.calls)
  t.teardown(() => watcher.close())
  const started = once(watcher, 'change')
  const running = build(builder, ctx([], true))
  await started
  await builder.close?.()
  // Not 'timed out': the hung shard was stopped by close, not by the shard timeout (60 s).
  t.match((await running).errors, [{ message: 'the build was aborted' }])
  t.equal((await s.built()).length, 1, 'the shards queued behind it never started')
})

t.test('close is idempotent, and a closed builder builds nothing', async t => {
  const s = site(t)
  const builder = s.make()
  await build(builder, ctx([], true))
  await Promise.all([builder.close?.(), builder.close?.()])
  await builder.close?.()
  t.match((await build(builder)).errors, [{ message: 'the sharded builder is closed' }])
  const unused = s.make()
  await unused.close?.()
  t.pass('closing a builder that never built resolves')
})

t.test('bad options throw a coded error', async t => {
  const good = { worker: 'w.js', sources: 'src' }
  const bad: unknown[] = [
    undefined, {}, { sources: 'src' }, { worker: 'w.js' }, { ...good, sources: [] }, { ...good, include: 3 }, { ...good, ignore: ['[a'] },
    { ...good, shardOf: 'size' }, { ...good, shards: 0 }, { ...good, concurrency: 1.5 }, { ...good, timeout: 0 }, { ...good, cache: 1 },
    { ...good, prune: 'yes' }, { ...good, merge: 'sitemap' }, { ...good, workerData: { fn: () => {} } }, { ...good, cwd: '' }, { ...good, execArgv: '--inspect' }, { ...good, maxMemory: -1 }, { ...good, shard: 'hash' }
  ]
  for (const options of bad) {
    t.throws(() => shardedBuilder(options as ShardedBuilderOptions), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /shardedBuilder\./ }, JSON.stringify(options))
  }
})

t.test('through the plugin: an edit rebuilds one shard and reloads the browsers once', async t => {
  const s = site(t)
  const { app } = await harness(t, { options: { root: s.out, watch: [s.src, s.layout], builder: s.make() }, listen: false })
  t.same(await s.built(), ['.', 'api', 'blog', 'guide'], 'the start-up build')
  const client = await connectLiveReload(app, { transport: 'socket' })
  const reload = client.next('reload')
  await writeFile(join(s.src, 'blog/p.md'), 'post p, saved')
  t.same((await reload).paths, ['/blog/p.html'])
  t.same(await s.built(), ['blog'])
  const page = await app.inject('/blog/p.html')
  t.match(page.body, 'POST P, SAVED')
  t.equal(client.messages.filter(message => message.type === 'reload').length, 1)
  t.match(app.liveReload.stats(), { builds: 2, failures: 0 })
})

async function tree (dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name)
      files[path.slice(dir.length)] = await readFile(path, 'utf8')
    }
  }
  return files
}
