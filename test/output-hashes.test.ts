import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { createOutputHashes } from '../lib/pipeline/output-hashes.js'

t.test('a rewrite with the same bytes is not a change; new bytes are', async t => {
  const dir = t.testdir({ 'a.html': 'one' })
  const file = join(dir, 'a.html')
  const hashes = createOutputHashes()
  t.equal((await hashes.changed([{ path: file, type: 'update' }])).length, 1, 'first sight counts as a change')
  await writeFile(file, 'one')
  t.same(await hashes.changed([{ path: file, type: 'update' }]), [], 'same bytes')
  await writeFile(file, 'two')
  t.equal((await hashes.changed([{ path: file, type: 'update' }])).length, 1, 'new bytes')
})

t.test('deletes, missing files and directories always count', async t => {
  const dir = t.testdir({ 'a.html': 'one', sub: {} })
  const hashes = createOutputHashes()
  await hashes.changed([{ path: join(dir, 'a.html'), type: 'update' }])
  const changes = [
    { path: join(dir, 'a.html'), type: 'delete' as const },
    { path: join(dir, 'gone.html'), type: 'create' as const },
    { path: join(dir, 'sub'), type: 'create' as const }
  ]
  t.same(await hashes.changed(changes), changes)
  t.equal((await hashes.changed([{ path: join(dir, 'a.html'), type: 'create' }])).length, 1, 'recreated after a delete')
})
