// scripts/tap-failures.js: what `npm test` says again at the end of a log, read off a TAP stream
// shaped as tap 21 prints it (nested subtests four spaces in, a YAML block under each failure).
import t from 'tap'
import { failureCollector } from '../../scripts/tap-failures.js'

const STREAM = `TAP version 14
# Subtest: .tap/groups/short-1.test.mjs
    # Subtest: outer
        ok 1 - passes
        not ok 2 - one is two
          ---
          compare: ===
          at:
            fileName: test/a.test.ts
            lineNumber: 4
          stack: |
            Test.<anonymous> (test/a.test.ts:4:40)
          source: >
            t.equal(1, 2)
          diff: |
            -2
            +1
          ...
        1..2
    not ok 1 - outer # time=16.2ms
      ---
      at:
        fileName: test/a.test.ts
      ...
    # Subtest: later
        ok 1 - fine
        1..1
    ok 2 - later # time=1ms
    not ok 3 - timeout!
      ---
      signal: SIGTERM
      ...
    1..3
not ok 1 - .tap/groups/short-1.test.mjs # time=35653.1ms
`

t.test('each failing assertion once, named by its subtests, its block without at: and source:', async t => {
  const failures = failureCollector()
  for (const line of STREAM.split('\n')) failures.line(line)
  t.equal(failures.count, 2)
  t.equal(failures.report('the shared test processes'), `
# the shared test processes: 2 failed
not ok: .tap/groups/short-1.test.mjs › outer › one is two
    compare: ===
    stack: |
      Test.<anonymous> (test/a.test.ts:4:40)
    diff: |
      -2
      +1
not ok: .tap/groups/short-1.test.mjs › timeout!
    signal: SIGTERM
`)
})

t.test('nothing to say when nothing failed; past the limit, the rest are counted', async t => {
  const none = failureCollector()
  none.line('ok 1 - fine')
  t.equal(none.report('run'), '')
  const many = failureCollector()
  for (let i = 1; i <= 3; i++) many.line(`not ok ${i} - failure ${i}`)
  t.match(many.report('run', 2), /failure 2\n\(1 more failures above\)\n$/)
})
