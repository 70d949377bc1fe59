// Which new files restart the dev server (lib/dev/new-modules.ts): a module where the next version
// would load it, going by where the last one loaded its modules from.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { isNewModule } from '../../lib/dev/new-modules.js'
import { fixture } from '../helpers/fixture.js'

const APP = '/app'
/** The last version loaded the entry, two routes of autoload's routes/ (one a directory down) and a dependency. */
const LOADED = new Set(['/app/app.js', '/app/routes/root.js', '/app/routes/users/index.js', '/app/node_modules/fastify/fastify.js', '/elsewhere/lib.js'])

t.test('a module file created: where it lies says whether the next version loads it', async t => {
  const cases: Array<[string, boolean, string]> = [
    ['/app/plugin.js', true, 'beside the entry'],
    ['/app/services/db.ts', true, 'a directory right below the entry\'s'],
    ['/app/routes/posts.mjs', true, 'beside a loaded route'],
    ['/app/routes/users/admin/index.js', true, 'a new directory below a loaded one'],
    ['/app/routes/a/b/c/index.cjs', true, 'any depth below a directory the app loaded from'],
    ['/app/test/helpers/setup.js', false, 'two down from the entry, no loaded module above it but the entry\'s'],
    ['/app/routes/.draft.js', false, 'hidden'],
    ['/app/routes/.git/x/y.js', false, 'in a hidden directory'],
    ['/app/node_modules/x/index.js', false, 'a dependency'],
    ['/app/routes/notes.md', false, 'not a module'],
    ['/elsewhere/new.js', false, 'outside the app']
  ]
  for (const [path, expected, why] of cases) t.equal(isNewModule({ path, type: 'create' }, APP, LOADED), expected, `${path}: ${why}`)
  t.notOk(isNewModule({ path: '/app/routes/posts.js', type: 'update' }, APP, LOADED), 'an update is no new file')
})

t.test('a directory created or moved in counts when it holds a module that would count, at any depth', async t => {
  const app = fixture(t, { 'app.js': '', routes: { 'root.js': '' }, test: {} })
  const loaded = new Set([join(app, 'app.js'), join(app, 'routes', 'root.js')])
  mkdirSync(join(app, 'routes', 'blog', 'posts'), { recursive: true })
  writeFileSync(join(app, 'routes', 'blog', 'posts', 'index.js'), '')
  t.ok(isNewModule({ path: join(app, 'routes', 'blog'), type: 'create' }, app, loaded), 'routes/blog/posts/index.js')
  mkdirSync(join(app, 'routes', 'drafts', '.wip'), { recursive: true })
  writeFileSync(join(app, 'routes', 'drafts', '.wip', 'a.js'), '')
  writeFileSync(join(app, 'routes', 'drafts', 'notes.md'), '')
  t.notOk(isNewModule({ path: join(app, 'routes', 'drafts'), type: 'create' }, app, loaded), 'a hidden module and a note only')
  mkdirSync(join(app, 'test', 'fixtures', 'deep'), { recursive: true })
  writeFileSync(join(app, 'test', 'fixtures', 'deep', 'a.js'), '')
  t.notOk(isNewModule({ path: join(app, 'test', 'fixtures'), type: 'create' }, app, loaded), 'modules where the app loads none')
  t.notOk(isNewModule({ path: join(app, 'routes', 'gone'), type: 'create' }, app, loaded), 'a directory already gone')
})
