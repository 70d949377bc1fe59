// The bookkeeping around @parcel/watcher's backends (lib/watch/native.ts): when a subscription
// asks whether an inotify instance is free, and when the watcher's unsubscribe is called. The
// watcher and the probe are the test's own here: the kernel gives no way to make the real watcher
// fail on cue; test/watch-limits.test.ts runs the real ones against a real limit.
import type watcher from '@parcel/watcher'
import t from 'tap'
import { createNativeSubscribe } from '../../lib/watch/native.js'

/** A watcher and a probe that answer as told, and what each was asked. */
function parts ({ isLinux = true } = {}) {
  const asked: string[] = []
  const answers: boolean[] = []
  const callbacks: watcher.SubscribeCallback[] = []
  const options: unknown[] = []
  const unsubscribed: string[] = []
  let letGo: Promise<void> = Promise.resolve()
  let forgotten = 0
  const subscribe = createNativeSubscribe({
    isLinux,
    canOpen: async dir => {
      asked.push(dir)
      return answers.shift() ?? true
    },
    forget: () => { forgotten++ },
    subscribe: (async (dir: string, callback: watcher.SubscribeCallback, opts: unknown) => {
      if (dir.endsWith('missing')) throw Object.assign(new Error('No such file or directory'), { code: 'ENOENT' })
      callbacks.push(callback)
      options.push(opts)
      return {
        unsubscribe: async () => {
          unsubscribed.push(dir)
          await letGo
          if (dir.endsWith('stuck')) throw new Error('the backend did not stop')
        }
      }
    }) as typeof watcher.subscribe
  })
  const open = (dir: string, callback: watcher.SubscribeCallback = () => {}) => subscribe(dir, callback, { ignore: [] })
  return {
    open,
    asked,
    answers,
    callbacks,
    options,
    unsubscribed,
    forgotten: () => forgotten,
    /** The watcher's unsubscribes settle only once `release` is called. */
    holdUnsubscribes (): () => void {
      let release = (): void => {}
      letGo = new Promise(resolve => { release = resolve })
      return release
    }
  }
}

t.test('the first subscription of a backend asks; the others while it lives share its answer', async t => {
  const p = parts()
  const [a, b] = await Promise.all([p.open('/a'), p.open('/b')])
  const c = await p.open('/c')
  t.same(p.asked, ['/a'], 'asked once, by the first')
  t.equal(p.forgotten(), 1, 'the answer forgotten once taken')
  t.same(p.options, [{ ignore: [], backend: 'inotify' }, { ignore: [], backend: 'inotify' }, { ignore: [], backend: 'inotify' }], 'inotify asked for by name')
  await Promise.all([a.unsubscribe(), b.unsubscribe(), c.unsubscribe()])
  t.same(p.unsubscribed, ['/a', '/b', '/c'])
})

t.test('after the last one lets go, the next asks again, once the unsubscribe has taken the backend down', async t => {
  const p = parts()
  const a = await p.open('/a')
  const release = p.holdUnsubscribes()
  const closing = a.unsubscribe()
  const next = p.open('/b')
  await new Promise(resolve => setImmediate(resolve))
  t.same(p.asked, ['/a'], 'not asked while the old backend is still going')
  release()
  await closing
  await next
  t.same(p.asked, ['/a', '/b'])
})

t.test('a refusal fails as the watcher would, with EMFILE; the next subscription asks again', async t => {
  const p = parts()
  p.answers.push(false)
  await t.rejects(p.open('/a'), { code: 'EMFILE', message: 'Unable to initialize inotify: Too many open files' })
  t.same(p.callbacks, [], 'the watcher was never asked')
  await p.open('/b')
  t.same(p.asked, ['/a', '/b'])
})

t.test('a refusal while another subscription lives still makes the next one ask', async t => {
  const p = parts()
  await p.open('/a')
  p.answers.push(false)
  p.callbacks[0](new Error('the backend failed'), []) // its backend is gone: the next subscription makes one
  await t.rejects(p.open('/b'), { code: 'EMFILE' })
  await p.open('/c')
  t.same(p.asked, ['/a', '/b', '/c'])
})

t.test('an error heard: the next subscription asks, and the failed one is never unsubscribed from the watcher', async t => {
  const p = parts()
  const a = await p.open('/a')
  const b = await p.open('/b')
  const heard: Array<Error | null> = []
  const c = await p.open('/c', err => heard.push(err))
  p.callbacks[2](new Error('inotify failed'), [])
  t.same(heard.map(err => err?.message), ['inotify failed'], 'the error passed on')
  await p.open('/d')
  t.same(p.asked, ['/a', '/d'], 'asked again though others live')
  await c.unsubscribe()
  await Promise.all([a.unsubscribe(), b.unsubscribe()])
  t.same(p.unsubscribed, ['/a', '/b'], "the failed one's callback went with the error: unsubscribing would make a backend")
})

t.test('elsewhere than Linux, the watcher chooses its backend, and a failed subscription is unsubscribed', async t => {
  const p = parts({ isLinux: false })
  const a = await p.open('/a')
  t.same(p.options, [{ ignore: [] }])
  p.callbacks[0](new Error('failed'), [])
  await a.unsubscribe()
  t.same(p.unsubscribed, ['/a'])
})

t.test('a subscription that throws lets go: the next one, alone, asks again', async t => {
  const p = parts()
  await t.rejects(p.open('/missing'), { code: 'ENOENT' })
  await p.open('/b')
  t.same(p.asked, ['/missing', '/b'])
})

t.test('an unsubscribe called twice unsubscribes once', async t => {
  const p = parts()
  const a = await p.open('/a')
  await Promise.all([a.unsubscribe(), a.unsubscribe()])
  t.same(p.unsubscribed, ['/a'])
})

t.test('an unsubscribe that fails still lets the next backend be asked for and made', async t => {
  const p = parts()
  const a = await p.open('/stuck')
  await t.rejects(a.unsubscribe(), { message: 'the backend did not stop' }, 'its caller hears it')
  await p.open('/b')
  t.same(p.asked, ['/stuck', '/b'])
})

t.test('every subscription that waits on a refused answer is refused', async t => {
  const p = parts()
  p.answers.push(false)
  const results = await Promise.allSettled([p.open('/a'), p.open('/b'), p.open('/c')])
  t.same(results.map(result => result.status === 'rejected' && (result.reason as { code?: string }).code), ['EMFILE', 'EMFILE', 'EMFILE'])
  t.same(p.asked, ['/a'], 'asked once for all three')
  t.same(p.callbacks, [], 'the watcher was never asked')
})
