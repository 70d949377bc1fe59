// What a version reports of a module of the app it loaded (lib/dev/app-file-hash.ts): where Node
// has no module hooks in the loading thread, the version reads its modules once booted, and a file
// changed since the boot began must not pass for what it loaded, however its mtime was set.
import { rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { appFileHash, isChangedSince, loadedFileHash } from '../../lib/dev/app-file-hash.js'
import { contentHash } from '../../lib/dev/content-hash.js'
import { fixture } from '../helpers/fixture.js'

t.test('the app\'s files only: not node_modules\', not a built-in', async t => {
  const dir = fixture(t, { 'a.js': 'one', node_modules: { 'b.js': 'two' } })
  t.equal(appFileHash(pathToFileURL(join(dir, 'a.js')).href), contentHash(join(dir, 'a.js')))
  t.equal(appFileHash(pathToFileURL(join(dir, 'node_modules/b.js')).href), null)
  t.equal(appFileHash('node:fs'), null)
  t.equal(loadedFileHash('node:fs', Date.now()), null)
})

t.test('a file unchanged since the boot began: its hash; changed since, or gone: a hash no file has', async t => {
  const dir = fixture(t, { 'a.js': 'one', 'b.js': 'two', 'c.js': 'three' })
  const url = (name: string): string => pathToFileURL(join(dir, name)).href
  const since = Date.now() + 1000 // the files were written before it
  t.equal(loadedFileHash(url('a.js'), since), contentHash(join(dir, 'a.js')))
  const began = Date.now()
  writeFileSync(join(dir, 'a.js'), 'one, saved during the boot')
  t.equal(loadedFileHash(url('a.js'), began), '')
  // As tar and cp -p leave it: written during the boot, its mtime set to a day before.
  writeFileSync(join(dir, 'b.js'), 'two, from an archive')
  const dayBefore = new Date(began - 86_400_000)
  utimesSync(join(dir, 'b.js'), dayBefore, dayBefore)
  t.equal(loadedFileHash(url('b.js'), began), '', 'its ctime says when, whatever its mtime')
  rmSync(join(dir, 'c.js'))
  t.equal(loadedFileHash(url('c.js'), began), '')
})

t.test('changed since: the kernel\'s coarse clock allowed for, and a file system that keeps whole seconds', async t => {
  const since = 1_800_000_000_500 // Date.now() of a boot's start, half a second past
  for (const [ctime, changed, why] of [
    [since + 5, true, 'after'],
    [since - 4, true, 'a tick before: the coarse clock may be behind'],
    [since - 19.5, true, 'within 20 ms before'],
    [since - 25, false, 'well before'],
    [since - 500, true, 'whole seconds: the second the boot began in'],
    [since - 1500, true, 'whole seconds: the one before (FAT keeps two)'],
    [since - 3500, false, 'whole seconds, long before']
  ] as const) t.equal(isChangedSince(ctime, since), changed, why)
})
