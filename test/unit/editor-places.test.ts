// Where errors point (lib/editor/places.ts): the place in a stack frame's line, and the files a
// list of errors names. Pure: no server.
import t from 'tap'
import { framePlace, namedFiles } from '../../lib/editor/places.js'

t.test('framePlace: the place of a V8 frame, and the text around it', async t => {
  t.same(framePlace('    at handler (routes/root.js:3:22)'), { before: '    at handler (', after: ')', file: 'routes/root.js', line: 3, column: 22 })
  t.same(framePlace('    at routes/root.js:3:22'), { before: '    at ', after: '', file: 'routes/root.js', line: 3, column: 22 })
  t.same(framePlace('    at async Promise.all (index 0) (~/app/a b.js:10:1)'), { before: '    at async Promise.all (index 0) (', after: ')', file: '~/app/a b.js', line: 10, column: 1 })
  t.same(framePlace('    at f (C:\\app\\a.js:1:2)')?.file, 'C:\\app\\a.js', 'a Windows path, its drive\'s colon kept')
  for (const text of ['    at node:internal/process/task_queues:95:5', '    at f (node:fs:1:1)', '    at f (<anonymous>:1:2)',
    '    at f (file:///app/a.js:1:2)', 'Error: boom (a.js:1:2)', '    at f (a.js:1)', '    at new Promise (<anonymous>)', '']) {
    t.equal(framePlace(text), null, JSON.stringify(text))
  }
})

t.test('namedFiles: each error\'s file and its stack\'s, and nothing from what is not an error', async t => {
  const stack = 'Error: x\n    at f (node_modules/a/b.js:1:2)\n    at node:internal/x:1:1\n    at g (src/c.js:3:4)'
  t.same(namedFiles([{ message: 'x', file: 'src/a.js', stack }, { message: 'y' }]), ['src/a.js', 'node_modules/a/b.js', 'src/c.js'])
  t.same(namedFiles([null, 1, { file: 3, stack: 4 }] as never), [])
  t.same(namedFiles('x' as never), [])
})
