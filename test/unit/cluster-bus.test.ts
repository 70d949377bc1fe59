import t from 'tap'
import { broadcastOf } from '../../lib/cluster/bus.js'

t.test('a message from the cluster\'s channel is one of ours, rebuilt from its checked fields, or nothing', async t => {
  const cases: Array<[unknown, unknown]> = [
    [{ type: 'building', changes: ['src/a.md'], extra: 1 }, { type: 'building', changes: ['src/a.md'] }],
    [{ type: 'css', paths: ['/a.css'] }, { type: 'css', paths: ['/a.css'] }],
    [{ type: 'css', paths: ['public/a.css'], files: true }, { type: 'css', paths: ['public/a.css'], files: true }],
    [{ type: 'css', paths: ['/a.css'], files: 'yes' }, { type: 'css', paths: ['/a.css'] }],
    [{ type: 'img', paths: ['/a.png'] }, { type: 'img', paths: ['/a.png'] }],
    [{ type: 'reload', paths: Array.from({ length: 500 }, (_, i) => `/${i}`) }, { type: 'reload', paths: Array.from({ length: 100 }, (_, i) => `/${i}`) }],
    [{ type: 'error', errors: [{ message: 'broken', line: 2, html: '<b>' }] }, { type: 'error', errors: [{ message: 'broken', line: 2 }] }],
    [{ type: 'clear', paths: ['/x'] }, { type: 'clear' }],
    [{ type: 'reload', paths: [1] }, null],
    [{ type: 'building' }, null],
    [{ type: 'error', errors: 'x' }, null],
    [{ type: 'hello', protocol: 1, instance: 'x' }, null],
    [{ type: 'sync', path: '/', event: {} }, null],
    [null, null],
    ['reload', null]
  ]
  for (const [value, expected] of cases) t.same(broadcastOf(value), expected, JSON.stringify(value)?.slice(0, 60))
})
