// The QR code of the phone's URL (lib/cli/qr.ts): on a terminal only, never asked away.
import { Writable } from 'node:stream'
import t from 'tap'
import { renderUnicodeCompact } from 'uqr'
import { printQr } from '../../lib/cli/qr.js'

const URLS = ['http://192.168.1.20:8080', 'http://10.0.0.5:8080']

/** Where the command writes, as a terminal (`isTTY`) or a pipe; `text` is what it received. */
function stdout (isTTY: boolean): Writable & { isTTY: boolean, text: () => string } {
  let text = ''
  const out = new Writable({ write (chunk: Buffer, _encoding, done) { text += chunk.toString('utf8'); done() } })
  return Object.assign(out, { isTTY, text: () => text })
}

t.test('on a terminal: the QR code of the first network URL, in block characters', async t => {
  const out = stdout(true)
  t.equal(await printQr(URLS, { out, qr: true, isQuiet: false }), true)
  t.equal(out.text(), `${renderUnicodeCompact(URLS[0]!, { border: 2 })}\n`, 'the first URL\'s code, with a quiet zone of two modules')
  t.not(out.text(), `${renderUnicodeCompact(URLS[1]!, { border: 2 })}\n`)
  t.match(out.text(), /^[█▀▄ \n]+$/, 'blocks only: nothing a terminal could take for a control sequence')
})

t.test('never when stdout is not a terminal, with --no-qr, with --quiet, or without a network URL', async t => {
  for (const [name, isTTY, urls, qr, isQuiet] of [
    ['a pipe', false, URLS, true, false],
    ['--no-qr', true, URLS, false, false],
    ['--quiet', true, URLS, true, true],
    ['no network URL (loopback only)', true, [], true, false]
  ] as Array<[string, boolean, string[], boolean, boolean]>) {
    const out = stdout(isTTY)
    t.equal(await printQr(urls, { out, qr, isQuiet }), false, name)
    t.equal(out.text(), '', `${name}: nothing written`)
  }
})
