// Where an error is shown (lib/place.ts): the app's own code, from the error's stack.
import t from 'tap'
import { placeOf } from '../../lib/place.js'

const dir = '/srv/app'
const withStack = (stack: string): Error => Object.assign(new Error('x'), { stack })

t.test('a module that does not parse: V8\'s head of the stack', async t => {
  t.same(placeOf(withStack('file:///srv/app/routes/a.js:3\n  reply.send(\n       ^\n\nSyntaxError: missing ) after argument list\n    at ModuleLoader.moduleStrategy (node:internal/modules/esm/translators:168:18)'), dir),
    { file: '/srv/app/routes/a.js', line: 3, column: 8 })
  t.same(placeOf(withStack('/srv/app/lib/c.cjs:7\nlet = 1\n    ^\n\nSyntaxError: Unexpected token'), dir), { file: '/srv/app/lib/c.cjs', line: 7, column: 5 })
  t.same(placeOf(withStack('/srv/app/lib/d.mjs:2\n\n\n\nSyntaxError: Unexpected end of input'), dir), { file: '/srv/app/lib/d.mjs', line: 2, column: 1 }, 'no caret: column 1')
})

t.test('a throw: the first frame in the app, past node_modules and Node\'s own', async t => {
  const stack = [
    'Error: boom',
    '    at plugin (/srv/app/node_modules/some-plugin/index.js:10:11)',
    '    at Object.<anonymous> (node:internal/modules/cjs/loader:1:1)',
    '    at routes (file:///srv/app/routes/users.js:12:9)',
    '    at file:///srv/app/app.js:4:3'
  ].join('\n')
  t.same(placeOf(withStack(stack), dir), { file: '/srv/app/routes/users.js', line: 12, column: 9 })
})

t.test('no frame in the app: the first frame there is; none at all: null', async t => {
  t.same(placeOf(withStack('Error: x\n    at /srv/other/lib.js:1:2'), dir), { file: '/srv/other/lib.js', line: 1, column: 2 })
  t.equal(placeOf(withStack('Error: x\n    at node:internal/x:1:2'), dir), null)
  t.equal(placeOf(Object.assign(new Error('x'), { stack: undefined }), dir), null)
  t.equal(placeOf(withStack('Error: x\n    at /srv/other/lib.js:1:2'), dir, { anyFrame: false }), null, 'own frames only: none')
})
