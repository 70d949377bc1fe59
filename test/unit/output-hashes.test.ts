import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { createOutputHashes } from '../../lib/pipeline/output-hashes.js'
import { realWorld } from '../../lib/world.js'
import { fakeWorld } from '../helpers/fake-world.js'

t.test('a rewrite with the same bytes is not a change; new bytes are', async t => {
  const dir = t.testdir({ 'a.html': 'one' })
  const file = join(dir, 'a.html')
  const hashes = createOutputHashes(realWorld.files)
  t.equal((await hashes.changed([{ path: file, type: 'update' }])).changed.length, 1, 'first sight counts as a change')
  await writeFile(file, 'one')
  t.same((await hashes.changed([{ path: file, type: 'update' }])).changed, [], 'same bytes')
  await writeFile(file, 'two')
  t.equal((await hashes.changed([{ path: file, type: 'update' }])).changed.length, 1, 'new bytes')
})

t.test('deletes, missing files and directories always count', async t => {
  const dir = t.testdir({ 'a.html': 'one', sub: {} })
  const hashes = createOutputHashes(realWorld.files)
  await hashes.changed([{ path: join(dir, 'a.html'), type: 'update' }])
  const changes = [
    { path: join(dir, 'a.html'), type: 'delete' as const },
    { path: join(dir, 'gone.html'), type: 'create' as const },
    { path: join(dir, 'sub'), type: 'create' as const }
  ]
  t.same((await hashes.changed(changes)).changed, changes)
  t.equal((await hashes.changed([{ path: join(dir, 'a.html'), type: 'create' }])).changed.length, 1, 'recreated after a delete')
})

t.test('many files are answered at the first that is enough; the rest is hashed before the next call', async t => {
  const names = Array.from({ length: 200 }, (_, i) => `p${i}.html`)
  const dir = t.testdir(Object.fromEntries(names.map(name => [name, 'one'])))
  const changes = names.map(name => ({ path: join(dir, name), type: 'update' as const }))
  const hashes = createOutputHashes(realWorld.files)
  const first = await hashes.changed(changes, soFar => soFar.length > 0)
  t.ok(first.isPartial, 'answered early')
  t.ok(first.changed.length > 0 && first.changed.length < 200)
  t.same(await hashes.changed(changes), { changed: [], isPartial: false }, 'every file was hashed meanwhile: none differs now')
  await writeFile(join(dir, 'p199.html'), 'two')
  t.same((await hashes.changed(changes, soFar => soFar.length > 1)).changed, [changes[199]], 'not enough: every file read')
})

t.test('on a fake world: small files are read at once, a large one on the thread pool, and only the world is read', async t => {
  const fake = fakeWorld()
  const later: string[] = []
  const hashes = createOutputHashes({ hashNow: fake.world.files.hashNow, hashLater: async path => { later.push(path); return await fake.world.files.hashLater(path) } })
  fake.write('/out/a.html', 10, 'one')
  fake.write('/out/big.js', 300 * 1024, 'big')
  const both = [{ path: '/out/a.html', type: 'update' as const }, { path: '/out/big.js', type: 'update' as const }]
  t.same((await hashes.changed(both)).changed, both, 'first sight')
  t.same(later, ['/out/big.js'], 'the large file only, the asynchronous way')
  fake.write('/out/big.js', 300 * 1024, 'bigger')
  t.same((await hashes.changed(both)).changed, [both[1]], 'the same small bytes are no change; the large file\'s new ones are')
  fake.remove('/out/a.html')
  t.same((await hashes.changed([both[0]])).changed, [both[0]], 'gone: a change')
})
