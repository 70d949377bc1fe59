// The build queue alone (build-queue.ts): builds are functions the test releases by hand.
import { EventEmitter, once } from 'node:events'
import t from 'tap'
import type { FileChange } from '../../types/index.js'
import { createBuildQueue, type BuildJob } from '../../lib/pipeline/build-queue.js'

interface Report { n: number, job: BuildJob }

/** A queue whose builds wait until the test settles them with a report (or null: superseded). */
function gatedQueue () {
  const events = new EventEmitter()
  const jobs: BuildJob[] = []
  const closing = new AbortController()
  let settle: ((superseded: boolean) => void) | undefined
  const queue = createBuildQueue<Report>(async job => {
    jobs.push(job)
    const superseded = new Promise<boolean>(resolve => { settle = resolve })
    events.emit('start')
    return (await superseded) ? null : { n: jobs.length, job }
  }, () => ({ n: -1, job: { full: false, changes: [] } }), closing.signal)
  return {
    queue,
    jobs,
    closing,
    started: async () => { await once(events, 'start') },
    finish: () => settle?.(false),
    supersede: () => settle?.(true)
  }
}

const change = (path: string, type: FileChange['type'] = 'update'): FileChange => ({ path, type })

t.test('a request runs one build with the changes added so far and resolves with its report', async t => {
  const q = gatedQueue()
  q.queue.add([change('/a'), change('/b', 'create')])
  const started = q.started()
  const report = q.queue.request(false)
  await started
  q.finish()
  t.same((await report).job, { full: false, changes: [change('/a'), change('/b', 'create')] })
  t.equal(q.jobs.length, 1)
})

t.test('requests made while a build runs share one follow-up build with every change, full if any asked', async t => {
  const q = gatedQueue()
  const first = q.started()
  const running = q.queue.request(false)
  await first
  q.queue.add([change('/x', 'create')])
  const a = q.queue.request(false)
  q.queue.add([change('/x', 'update'), change('/y', 'delete')])
  const b = q.queue.request(true)
  const second = q.started()
  q.finish()
  await second
  q.finish()
  t.equal((await running).n, 1)
  const [ra, rb] = await Promise.all([a, b])
  t.equal(ra, rb, 'one build served both')
  t.same(ra.job, { full: true, changes: [change('/x', 'create'), change('/y', 'delete')] }, 'net effect: created, then written')
  t.equal(q.jobs.length, 2)
})

t.test('a superseded build runs again with its changes first, then the newer ones, for every waiter', async t => {
  const q = gatedQueue()
  q.queue.add([change('/a')])
  const first = q.started()
  const old = q.queue.request(false)
  await first
  q.queue.add([change('/b')])
  const newer = q.queue.request(true)
  const again = q.started()
  q.supersede()
  await again
  q.finish()
  const [r1, r2] = await Promise.all([old, newer])
  t.equal(r1, r2)
  t.same(r1.job, { full: true, changes: [change('/a'), change('/b')] })
  t.equal(q.jobs.length, 2, 'the superseded build and its rerun, no third')
})

t.test('once closed no build starts: the running build reports, the rest resolve closed', async t => {
  const q = gatedQueue()
  const first = q.started()
  const running = q.queue.request(false)
  await first
  const waiting = q.queue.request(false)
  q.closing.abort()
  const idle = q.queue.idle()
  q.finish()
  await idle
  t.equal((await running).n, 1)
  t.equal((await waiting).n, -1)
  t.equal((await q.queue.request(true)).n, -1, 'a request after close')
  t.equal(q.jobs.length, 1)
})

t.test('idle() resolves at once when no build runs', async t => {
  const q = gatedQueue()
  await q.queue.idle()
  t.equal(q.jobs.length, 0)
})
