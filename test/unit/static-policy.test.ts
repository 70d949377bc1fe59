import { mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createRootCheck, staticDefaults } from '../../lib/static-policy.js'

t.test('the root check follows the root when its link is re-pointed while the server runs', async t => {
  const dir = t.testdir({ one: { 'a.txt': 'a' }, two: { 'a.txt': 'b' }, outside: { 's.txt': 's' } })
  const root = join(dir, 'root')
  symlinkSync(join(dir, 'one'), root)
  const isInside = createRootCheck(root)
  t.ok(isInside(join(root, 'a.txt')))
  unlinkSync(root)
  symlinkSync(join(dir, 'two'), root)
  t.ok(isInside(join(root, 'a.txt')), 'a file of the new target is inside')
  t.notOk(isInside(join(dir, 'outside', 's.txt')))
  t.ok(isInside(join(root, 'missing.txt')), 'a missing file is left to send, which answers 404')
})

t.test('a root that does not exist yet refuses nothing that does not exist, and then works', async t => {
  const dir = t.testdir({ outside: { 's.txt': 's' } })
  const root = join(dir, 'dist')
  const isInside = createRootCheck(root)
  t.notOk(isInside(join(dir, 'outside', 's.txt')), 'an existing file outside a missing root')
  mkdirSync(join(dir, 'tmp'))
  writeFileSync(join(dir, 'tmp', 'i.html'), 'x')
  renameSync(join(dir, 'tmp'), root) // the first build creates it
  t.ok(isInside(join(root, 'i.html')))
})

t.test('the filesystem root as root contains everything', async t => {
  t.ok(createRootCheck('/')(process.cwd()))
})

t.test('onFile refuses only a compressed sibling that leads out of root', async t => {
  const dir = t.testdir({ root: { 'a.js.gz': 'x' }, outside: { 's.gz': 's' } })
  symlinkSync(join(dir, 'outside', 's.gz'), join(dir, 'root', 'b.js.gz'))
  const { onFile, dotfiles } = staticDefaults(join(dir, 'root'))
  t.equal(dotfiles, 'ignore')
  t.doesNotThrow(() => onFile(join(dir, 'root', 'a.js.gz')))
  t.throws(() => onFile(join(dir, 'root', 'b.js.gz')), Object.assign(new Error('Not Found'), { statusCode: 404 }))
})
