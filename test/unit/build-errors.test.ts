import t from 'tap'
import type { BuildErrorInfo } from '../../types/index.js'
import { MAX_ERRORS, MAX_TEXT, normalizeErrors } from '../../lib/build-errors.js'
import { fixture } from '../helpers/fixture.js'

const cwd = '/work/site'

t.test('normalizeErrors turns what builders throw into overlay errors', async t => {
  const cases: Array<[string, unknown, BuildErrorInfo[]]> = [
    ['a string', 'boom', [{ message: 'boom' }]],
    ['a number', 42, [{ message: '42' }]],
    ['null', null, [{ message: 'null' }]],
    ['a babel-style error', { message: 'Unexpected token', loc: { file: `${cwd}/src/a.js`, line: 3, column: 7 }, codeFrame: '> 3 | x' },
      [{ message: 'Unexpected token', file: 'src/a.js', line: 3, column: 7, frame: '> 3 | x' }]],
    ['a rollup-style error', { message: 'oops', id: `${cwd}/src/b.js`, loc: { line: 1, column: 2 }, frame: 'f' },
      [{ message: 'oops', file: 'src/b.js', line: 1, column: 2, frame: 'f' }]],
    ['a file URL and lineNumber', { message: 'm', fileName: `file://${cwd}/src/c.js`, lineNumber: 9, columnNumber: 4 },
      [{ message: 'm', file: 'src/c.js', line: 9, column: 4 }]],
    ['esbuild messages, columns from 0', { errors: [{ text: 'Expected ";"', location: { file: 'src/d.ts', line: 5, column: 0, lineText: 'let x' } }] },
      [{ message: 'Expected ";"', file: 'src/d.ts', line: 5, column: 1, frame: '5 | let x\n  | ^' }]],
    ['an esbuild message without location', { errors: [{ text: 'no entry', location: null }] }, [{ message: 'no entry' }]],
    ['a file outside the working directory stays absolute', { message: 'x', file: '/elsewhere/e.js' },
      [{ message: 'x', file: '/elsewhere/e.js' }]],
    ['arrays flatten', [['a'], 'b'], [{ message: 'a' }, { message: 'b' }]]
  ]
  for (const [name, value, expected] of cases) t.same(normalizeErrors(value, cwd), expected, name)
})

t.test('esbuild\'s one line becomes a code frame: the lines around it from the file, a caret under the place', async t => {
  const dir = fixture(t, { src: { 'app.ts': ['import x from "y"', '', 'const a = 1', 'let b = }', 'export { a }', '', '// end'].join('\n') } })
  const esbuild = { errors: [{ text: 'Unexpected "}"', location: { file: 'src/app.ts', line: 4, column: 8, length: 1, lineText: 'let b = }' } }] }
  const [info] = normalizeErrors(esbuild, dir)
  t.equal(info.frame, ['2 | ', '3 | const a = 1', '4 | let b = }', '  |         ^', '5 | export { a }', '6 | '].join('\n'))
  t.match(info, { file: 'src/app.ts', line: 4, column: 9 })
  const [stale] = normalizeErrors({ errors: [{ text: 'x', location: { file: 'src/app.ts', line: 4, column: 0, length: 3, lineText: 'changed since' } }] }, dir)
  t.equal(stale.frame, '4 | changed since\n  | ^^^', 'the file no longer holds the line: the line esbuild gave')
})

t.test('stacks and messages lose the working directory', async t => {
  const error = new Error(`cannot read ${cwd}/src/a.md`)
  error.stack = `Error: cannot read ${cwd}/src/a.md\n    at build (file://${cwd}/build.js:3:9)`
  const [info] = normalizeErrors(error, cwd)
  t.equal(info.message, 'cannot read src/a.md')
  t.equal(info.stack, 'Error: cannot read src/a.md\n    at build (build.js:3:9)')
})

t.test('AggregateErrors list their errors', async t => {
  const infos = normalizeErrors(new AggregateError([new Error('one'), new Error('two')], 'both'), cwd)
  t.same(infos.map(info => info.message), ['one', 'two'])
})

t.test('errors are bounded in number and length', async t => {
  t.equal(normalizeErrors(Array.from({ length: MAX_ERRORS + 5 }, (_, i) => String(i)), cwd).length, MAX_ERRORS)
  const [long] = normalizeErrors('x'.repeat(MAX_TEXT + 10), cwd)
  t.equal(long.message.length, MAX_TEXT)
  // A build's output: its progress, then the error, last. The start and the end are kept.
  const output = ['`./build.sh` exited with code 1', '', ...Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(60)}`), 'src/a.md:3:1: error: the one that matters']
  const [clipped] = normalizeErrors(output.join('\n'), cwd)
  t.ok(clipped.message.length <= MAX_TEXT, `${clipped.message.length} characters`)
  t.ok(clipped.message.startsWith('`./build.sh` exited with code 1\n'), 'its start')
  t.ok(clipped.message.endsWith('src/a.md:3:1: error: the one that matters'), 'and its end, where the error is')
  t.match(clipped.message, /\n…\n/, 'what was left out, marked')
})
