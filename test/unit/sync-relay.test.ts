// What a tab may send with `sync` on: each message checked field by field and rebuilt, so that
// another tab gets only the fields of its kind, of the right types and sizes.
import t from 'tap'
import { parseClientMessage } from '../../lib/channel/sync-relay.js'
import type { SyncSettings } from '../../types/index.js'

const ALL: SyncSettings = { scroll: true, clicks: true, forms: true, navigation: true, scrollElements: ['#pane'] }
const sync = (event: unknown, path: unknown = '/') => JSON.stringify({ type: 'sync', path, event })

t.test('well-formed messages pass, rebuilt without the fields a kind does not have', async t => {
  const cases: Array<[string, unknown]> = [
    [JSON.stringify({ type: 'join', path: '/docs/?q=1', extra: '<script>' }), { type: 'join', path: '/docs/?q=1' }],
    [sync({ kind: 'scroll', element: -1, x: 0, y: 0.5, html: '<b>' }), { type: 'sync', path: '/', event: { kind: 'scroll', element: -1, x: 0, y: 0.5 } }],
    [sync({ kind: 'scroll', element: 0, x: 1, y: 1 }), { type: 'sync', path: '/', event: { kind: 'scroll', element: 0, x: 1, y: 1 } }],
    [sync({ kind: 'click', target: '#a > b:nth-of-type(2)', code: 'alert(1)' }), { type: 'sync', path: '/', event: { kind: 'click', target: '#a > b:nth-of-type(2)' } }],
    [sync({ kind: 'input', target: '#name', value: '<img src=x onerror=alert(1)>' }), { type: 'sync', path: '/', event: { kind: 'input', target: '#name', value: '<img src=x onerror=alert(1)>' } }],
    [sync({ kind: 'select', target: '#s', values: ['a', 'b'] }), { type: 'sync', path: '/', event: { kind: 'select', target: '#s', values: ['a', 'b'] } }],
    [sync({ kind: 'toggle', target: '#c', checked: false }), { type: 'sync', path: '/', event: { kind: 'toggle', target: '#c', checked: false } }],
    [sync({ kind: 'submit', target: '#f' }), { type: 'sync', path: '/', event: { kind: 'submit', target: '#f' } }],
    [sync({ kind: 'navigate', url: '/b.html?x=1#top' }, '/a.html'), { type: 'sync', path: '/a.html', event: { kind: 'navigate', url: '/b.html?x=1#top' } }]
  ]
  for (const [data, expected] of cases) t.same(parseClientMessage(data, ALL), expected, data)
})

t.test('a selector passes in the form a tab writes it: `#id` or `:root`, then `> tag:nth-of-type(n)` steps, names as CSS.escape writes them', async t => {
  const selectors = [
    '#count',
    ':root',
    ':root > body:nth-of-type(1) > main:nth-of-type(1) > p:nth-of-type(12)',
    '#a > b:nth-of-type(2) > my-element:nth-of-type(1) > svg:nth-of-type(1) > foreignObject:nth-of-type(1)',
    '#\\31 23 > p:nth-of-type(1)', // an id that starts with a digit: a hex escape and its space
    '#\\31  > p:nth-of-type(1)', // the same, followed by the combinator
    '#a\\ \\>\\ b\\:c\\.d\\[e\\]\\(f\\)\\,g\\#h\\\\i', // escaped spaces, `>`, `:`, `.`, brackets, a comma, `#`, a backslash
    '#\\-', // the id "-"
    '#\\7f x\\1 ', // control characters
    '#caf\u00e9-\u2603-\ud83d\ude00_x' // non-ASCII, as it is
  ]
  for (const target of selectors) t.same(parseClientMessage(sync({ kind: 'click', target }), ALL), { type: 'sync', path: '/', event: { kind: 'click', target } }, target)
})

t.test('any other selector is dropped, however valid: a tab would never send it, and a costly one freezes the tabs that look it up', async t => {
  const selectors = [
    ':is(:has(:is(:has(*)))) #count',
    '#a :has(b)',
    'button',
    '#a b',
    '#a > b',
    '#a > b:nth-child(2)',
    '#a > b:nth-of-type(0)',
    '#a > b:nth-of-type(2n+1)',
    '#a > b:nth-of-type(1) ',
    '#a>b:nth-of-type(1)',
    '#a, #b',
    '#a[href]',
    '#a.b',
    '*',
    'body:nth-of-type(1)',
    ':root > :root',
    '#a\\', // an escape of nothing
    '#a\\31x', // a hex escape without its space
    '#a\n'
  ]
  for (const target of selectors) t.equal(parseClientMessage(sync({ kind: 'click', target }), ALL), null, target)
  for (const kind of ['input', 'select', 'toggle', 'submit']) {
    t.equal(parseClientMessage(sync({ kind, target: ':is(:has(*)) #a', value: '', values: [], checked: true }), ALL), null, `${kind}: the same`)
  }
})

t.test('anything else is dropped', async t => {
  const cases: Array<[string, string]> = [
    ['not JSON', '{'],
    ['not an object', '[1]'],
    ['no path', JSON.stringify({ type: 'join' })],
    ['another origin\'s path', JSON.stringify({ type: 'join', path: '//evil.test/' })],
    ['a backslash path', JSON.stringify({ type: 'join', path: '/\\evil.test' })],
    ['a control character (browsers drop tabs: /\\t/x is //x)', JSON.stringify({ type: 'join', path: '/\t/evil.test' })],
    ['a URL, not a path', JSON.stringify({ type: 'join', path: 'https://evil.test/' })],
    ['a path too long', JSON.stringify({ type: 'join', path: `/${'a'.repeat(2048)}` })],
    ['an unknown type', JSON.stringify({ type: 'eval', path: '/' })],
    ['no event', JSON.stringify({ type: 'sync', path: '/' })],
    ['an unknown kind', sync({ kind: 'script', code: 'alert(1)' })],
    ['a scroll past the end', sync({ kind: 'scroll', element: -1, x: 0, y: 1.5 })],
    ['a scroll of no such element', sync({ kind: 'scroll', element: 1, x: 0, y: 0 })],
    ['a scroll given as text', sync({ kind: 'scroll', element: -1, x: '0', y: 0 })],
    ['an empty selector', sync({ kind: 'click', target: '' })],
    ['a selector too long', sync({ kind: 'click', target: 'a'.repeat(4097) })],
    ['a value that is not text', sync({ kind: 'input', target: '#a', value: { toString: 1 } })],
    ['choices that are not text', sync({ kind: 'select', target: '#a', values: [1] })],
    ['a toggle that is not a boolean', sync({ kind: 'toggle', target: '#a', checked: 'yes' })],
    ['a navigation to another origin', sync({ kind: 'navigate', url: '//evil.test/' })],
    ['a navigation to a javascript: URL', sync({ kind: 'navigate', url: 'javascript:alert(1)' })]
  ]
  for (const [name, data] of cases) t.equal(parseClientMessage(data, ALL), null, name)
})

t.test('a kind that is off is dropped, whatever the tab sends', async t => {
  const off: SyncSettings = { scroll: false, clicks: false, forms: false, navigation: false, scrollElements: [] }
  for (const event of [
    { kind: 'scroll', element: -1, x: 0, y: 0 },
    { kind: 'click', target: '#a' },
    { kind: 'input', target: '#a', value: 'x' },
    { kind: 'select', target: '#a', values: [] },
    { kind: 'toggle', target: '#a', checked: true },
    { kind: 'submit', target: '#a' },
    { kind: 'navigate', url: '/b' }
  ]) t.equal(parseClientMessage(sync(event), off), null, event.kind)
  t.same(parseClientMessage(JSON.stringify({ type: 'join', path: '/' }), off), { type: 'join', path: '/' }, 'join stays: it carries nothing of the page')
})
