// fastify-livereload/keep outside the dev server: it checks its arguments and does nothing else.
import t from 'tap'
import { keep } from '../../lib/dev/keep.js'
import { collectKeepers, KEEPERS } from '../../lib/dev/keepers.js'

t.test('outside the dev server, keep() registers nothing; in its child, every keeper by name, the last one of a name winning', async t => {
  t.teardown(() => { delete (globalThis as Record<symbol, unknown>)[KEEPERS] })
  const keeper = { save: () => 1, restore: () => {} }
  keep('count', keeper)
  t.equal((globalThis as Record<symbol, unknown>)[KEEPERS], undefined)
  const keepers = collectKeepers()
  keep('count', { save: () => 0, restore: () => {} })
  keep('count', keeper)
  t.same([...keepers], [['count', keeper]])
})

t.test('a name that is none, or a keeper without save and restore: a coded error', async t => {
  t.throws(() => { keep('', { save: () => 1, restore: () => {} }) }, { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /keep\(name\)" must be a non-empty string/ })
  t.throws(() => { keep('count', { save: () => 1 } as never) }, { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /keep\("count"\)" must be given \{ save/ })
  t.throws(() => { keep('count', undefined as never) }, { code: 'FST_LIVERELOAD_INVALID_OPTION' })
})
