// What each of our messages becomes in LiveReload protocol 7: a table, no server.
import t from 'tap'
import { isLr7Hello, LR7_HELLO, lr7Commands, lr7Frames, LR7_PROTOCOL } from '../../lib/channel/lr7-protocol.js'
import type { ServerMessage } from '../../types/index.js'

const reload = (path: string) => ({ command: 'reload', path, liveCSS: true, liveImg: true })

t.test('each message becomes the protocol 7 commands that livereload-js acts on, and nothing else', async t => {
  const cases: Array<[string, ServerMessage, unknown[]]> = [
    ['hello is answered in the handshake instead', { type: 'hello', protocol: 1, instance: 'x' }, []],
    ['building has no equivalent', { type: 'building', changes: ['src/a.md'] }, []],
    ['clear has no equivalent', { type: 'clear' }, []],
    ['a page reload: one reload of the page path', { type: 'reload', paths: ['/index.html'] }, [reload('/index.html')]],
    ['a reload of many paths is still one reload', { type: 'reload', paths: ['/a.html', '/b.html'] }, [reload('/a.html')]],
    ['a reload that names a stylesheet first reloads by a path livereload-js cannot swap', { type: 'reload', paths: ['/site.css', '/logo.png', '/a.html'] }, [reload('/a.html')]],
    ['a reload of assets only (a delete) reloads by "/"', { type: 'reload', paths: ['/site.css', '/x.less', '/app.css.map'] }, [reload('/')]],
    ['a reload of everything reloads by "/"', { type: 'reload', paths: [] }, [reload('/')]],
    ['stylesheets: one reload per path, which livereload-js swaps', { type: 'css', paths: ['/a.css', '/b/c.css'] }, [reload('/a.css'), reload('/b/c.css')]],
    ['images: one reload per path', { type: 'img', paths: ['/logo.png'] }, [reload('/logo.png')]],
    ['stylesheets without paths: a page reload', { type: 'css', paths: [] }, [reload('/')]],
    // livereload-js matches a path to the <link> with the most trailing names in common, as our client does.
    ['file paths (files: true): one reload each, decoded', { type: 'css', paths: ['public/css/a%20b.css'], files: true }, [reload('public/css/a b.css')]],
    // livereload-js decodes each <link>'s URL before comparing it with the path it is sent.
    ['paths go decoded', { type: 'css', paths: ['/%5Bx%5D.css', '/a%20b/%C3%A9.css', '/c++.css'] }, [reload('/[x].css'), reload('/a b/é.css'), reload('/c++.css')]],
    ['a path that does not decode goes as it is', { type: 'reload', paths: ['/100%.html'] }, [reload('/100%.html')]],
    ['a build error: one alert', { type: 'error', errors: [{ message: 'Unexpected token', file: 'src/a.md', line: 3, column: 7 }] }, [{ command: 'alert', message: 'Build failed in src/a.md:3:7:\nUnexpected token' }]],
    ['several errors: the first, and a count', { type: 'error', errors: [{ message: 'one' }, { message: 'two' }, { message: 'three' }] }, [{ command: 'alert', message: 'Build failed:\none\n(and 2 more)' }]],
    ['an error without errors', { type: 'error', errors: [] }, [{ command: 'alert', message: 'Build failed' }]]
  ]
  for (const [name, message, expected] of cases) {
    t.same(lr7Commands(message), expected, name)
    t.same(lr7Frames(message, JSON.stringify(message)).map(frame => JSON.parse(frame)), expected, `${name} (frames)`)
  }
})

t.test('every command sent is reload or alert, whatever the message', async t => {
  const all: ServerMessage[] = [
    { type: 'hello', protocol: 1, instance: 'x' }, { type: 'building', changes: [] }, { type: 'reload', paths: ['/a'] },
    { type: 'css', paths: ['/a.css'] }, { type: 'img', paths: ['/a.png'] }, { type: 'error', errors: [{ message: 'x' }] }, { type: 'clear' }
  ]
  const commands = new Set(all.flatMap(lr7Commands).map(command => command.command))
  t.same([...commands].sort(), ['alert', 'reload'])
})

t.test('a very long error message is cut for alert()', async t => {
  const [alert] = lr7Commands({ type: 'error', errors: [{ message: 'x'.repeat(10_000) }] })
  t.ok(alert.command === 'alert' && alert.message.length < 2100 && alert.message.endsWith('…'))
})

t.test('the handshake: our hello names protocol 7 and the server; a client hello must offer protocol 7', async t => {
  t.same(JSON.parse(LR7_HELLO), { command: 'hello', protocols: ['http://livereload.com/protocols/official-7'], serverName: 'fastify-livereload' })
  const cases: Array<[string, boolean]> = [
    [JSON.stringify({ command: 'hello', protocols: ['http://livereload.com/protocols/official-6', LR7_PROTOCOL], ver: '4.0.2' }), true],
    [JSON.stringify({ command: 'hello', protocols: ['http://livereload.com/protocols/official-6'] }), false],
    [JSON.stringify({ command: 'hello' }), false],
    [JSON.stringify({ command: 'info', protocols: [LR7_PROTOCOL] }), false],
    ['!!ver:1.6', false],
    ['not json', false],
    ['null', false]
  ]
  for (const [data, expected] of cases) t.equal(isLr7Hello(data), expected, data)
})
