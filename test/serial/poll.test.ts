// The poller on real directories: what it reports, what it ignores, and the plugin using it.
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type watcher from '@parcel/watcher'
import t, { type Test } from 'tap'
import { mountOf, pollingReason, detectPollingReason } from '../../lib/watch/polling-detection.js'
import { ignoreMatcher, pollSubscribe } from '../../lib/watch/poll.js'
import { eventually } from '../helpers/eventually.js'
import { fakeWorld } from '../helpers/fake-world.js'
import { fixture } from '../helpers/fixture.js'
import { holdEventLoop } from '../helpers/loop.js'
import { recorder } from '../helpers/recorder.js'
import { watchedRoot } from '../helpers/watched-root.js'

holdEventLoop(t)

/**
 * The poller on a fake clock (the world's timers): after its first sweep, the next one starts
 * only when the test moves the clock past the interval (`sweep()`), so what one sweep finds is
 * exactly what was written before it.
 */
async function poll (t: Test, dir: string, ignore: string[] = []) {
  const fake = fakeWorld()
  const batches = recorder<watcher.Event[]>()
  const steps: string[] = []
  const ended = recorder<void>()
  const subscription = await pollSubscribe(dir, (_err, events) => { steps.push('found'); batches.add(events) }, {
    ignore,
    interval: 100,
    timers: fake.world,
    onSweepStart: () => { steps.push('start') },
    onSweepEnd: () => { steps.push('end'); ended.add() }
  })
  t.teardown(() => subscription.unsubscribe())
  /** Resolves once the poller waits for the clock (its sweep under way has ended). */
  const waiting = async (): Promise<void> => await eventually(() => fake.timers === 1, 5000, 'the poller waiting for its interval')
  return {
    steps,
    batches,
    waiting,
    /** One sweep: the clock moved by the interval; resolves once it has ended. */
    async sweep (): Promise<void> {
      await waiting()
      const end = ended.next()
      fake.advance(100)
      await end
    }
  }
}

const sorted = (events: watcher.Event[]) => [...events].sort((a, b) => a.path.localeCompare(b.path))

t.test('the poller reports updates, creates and deletes, in directories new and old, one sweep each time the clock moves', async t => {
  const dir = fixture(t, { 'a.html': 'a', sub: { 'b.html': 'b' }, gone: { 'c.html': 'c' } })
  const polled = await poll(t, dir)
  await writeFile(join(dir, 'a.html'), 'changed, and longer')
  await polled.sweep()
  t.same(polled.batches.all, [[{ path: join(dir, 'a.html'), type: 'update' }]])

  await mkdir(join(dir, 'new'))
  await writeFile(join(dir, 'new', 'd.html'), 'd')
  await unlink(join(dir, 'sub', 'b.html'))
  await rm(join(dir, 'gone'), { recursive: true })
  await polled.waiting()
  t.equal(polled.batches.all.length, 1, 'nothing found while the clock stands')
  await polled.sweep()
  t.equal(polled.batches.all.length, 2, 'one sweep, one batch')
  t.same(sorted(polled.batches.all[1]), sorted([
    { path: join(dir, 'new'), type: 'create' },
    { path: join(dir, 'new', 'd.html'), type: 'create' },
    { path: join(dir, 'sub', 'b.html'), type: 'delete' },
    { path: join(dir, 'gone'), type: 'delete' },
    { path: join(dir, 'gone', 'c.html'), type: 'delete' }
  ]))
})

t.test('each sweep says when it begins, and when it ends, after delivering what it found', async t => {
  const dir = fixture(t, { 'a.html': 'a' })
  const polled = await poll(t, dir)
  await polled.sweep()
  await writeFile(join(dir, 'a.html'), 'changed, and longer')
  await polled.sweep()
  t.same(polled.steps, ['start', 'end', 'start', 'end', 'start', 'found', 'end'], 'the first sweep at once, then one each time the clock moves')
})

t.test('the poller honours globs and absolute paths as @parcel/watcher does', async t => {
  const dir = fixture(t, { node_modules: { pkg: {} }, out: {}, src: {} })
  const polled = await poll(t, dir, ['**/node_modules/**', '**/*.map', join(dir, 'out')])
  await writeFile(join(dir, 'node_modules', 'pkg', 'x.js'), 'x')
  await writeFile(join(dir, 'src', 'a.js.map'), 'x')
  await writeFile(join(dir, 'out', 'index.html'), 'x')
  await writeFile(join(dir, 'src', 'a.js'), 'x')
  await polled.sweep()
  t.same(polled.batches.all, [[{ path: join(dir, 'src', 'a.js'), type: 'create' }]])
  const isIgnored = ignoreMatcher('/w', ['**/.git/**', '/w/dist'])
  t.same(['/w/.git/HEAD', '/w/dist', '/w/dist/a', '/w/distant', '/w/a'].map(isIgnored), [true, true, true, false, false])
})

t.test('with poll set, the plugin reloads on changes and survives the root being deleted', async t => {
  const { dist, log, client } = await watchedRoot(t, { poll: 100 })
  let reload = client.next('reload')
  await writeFile(join(dist, 'index.html'), 'two')
  t.same(await reload, { type: 'reload', paths: ['/index.html'] })

  reload = client.next('reload')
  const deleted = log.next(line => /deleted/.test(line.msg))
  await rm(dist, { recursive: true })
  await deleted
  await mkdir(dist)
  t.same(await reload, { type: 'reload', paths: [] }, 'no reload to a missing page; one rescan once back')
  reload = client.next('reload')
  await writeFile(join(dist, 'index.html'), 'three')
  t.same(await reload, { type: 'reload', paths: ['/index.html'] })
})

const WSL = 'Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0) #1 SMP'
const LINUX = 'Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) #45-Ubuntu SMP'
const MOUNTINFO = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '90 27 0:50 / /mnt/c rw,noatime - 9p drvfs rw,aname=drvfs;path=C:\\;uid=1000',
  '91 27 0:51 / /home/me/nfs rw,relatime shared:5 - nfs4 server:/export rw,vers=4.2',
  '92 27 0:52 / /home/me/My\\040Share rw - cifs //nas/share rw',
  '93 27 0:53 / /home/me/remote rw - fuse.sshfs me@host: rw',
  '94 27 0:54 / /app rw - ext4 /dev/sdb rw',
  '95 94 0:55 / /app/src rw - 9p C:\\134Users\\134me\\134app rw'
].join('\n')

t.test('path kinds that need polling, from /proc/self/mountinfo and /proc/version', async t => {
  const cases: Array<[string, string, RegExp | null]> = [
    ['/mnt/c/Users/me/site', WSL, /Windows drive under WSL/],
    ['/mnt/c/Users/me/site', LINUX, /"\/mnt\/c" is a 9p mount/],
    ['/home/me/nfs/site', LINUX, /nfs4 mount/],
    ['/home/me/My Share/site', LINUX, /"\/home\/me\/My Share" is a cifs mount/],
    ['/home/me/remote/x', LINUX, /fuse\.sshfs mount/],
    ['/app/src/pages', LINUX, /"\/app\/src" is a 9p mount/],
    ['/app/dist', LINUX, null],
    ['/home/me/site', WSL, null],
    ['/home/me/nfsother', LINUX, null]
  ]
  for (const [path, version, expected] of cases) {
    const reason = pollingReason(path, MOUNTINFO, version)
    if (expected === null) t.equal(reason, null, path)
    else t.match(reason, expected, path)
  }
  t.same(mountOf('/x', 'garbage\n'), null)
})

t.test('detection reads the real files, and treats unreadable ones as native events', async t => {
  const dir = fixture(t, { mountinfo: MOUNTINFO, version: WSL })
  t.match(detectPollingReason('/mnt/d/x', { mountinfo: join(dir, 'mountinfo'), version: join(dir, 'version') }), /WSL/)
  t.equal(detectPollingReason('/mnt/d/x', { mountinfo: join(dir, 'none'), version: join(dir, 'none') }), null)
  t.equal(detectPollingReason(dir), null, 'this machine\'s temp dir is native')
})
