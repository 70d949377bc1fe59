// Which requests are a browser loading a page into a tab: pure, no server.
import t from 'tap'
import { isNavigation, prefersHtml } from '../../lib/inject/navigation.js'

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'

t.test('isNavigation: Sec-Fetch headers decide when present, whatever the Accept', async t => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['GET', { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: BROWSER_ACCEPT }, true],
    ['GET', { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' }, true],
    ['GET', { 'sec-fetch-mode': 'Navigate' }, true],
    ['POST', { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }, true], // a form's submission
    ['GET', { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'object' }, false], // <object data>: not the tab
    ['GET', { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', accept: 'text/html' }, false], // fetch()
    ['GET', { 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script', accept: '*/*' }, false],
    ['GET', { 'sec-fetch-mode': 'same-origin', accept: BROWSER_ACCEPT }, false],
    ['GET', { 'sec-fetch-dest': 'document' }, true],
    ['GET', { 'sec-fetch-dest': 'empty', accept: BROWSER_ACCEPT }, false]
  ]
  for (const [method, headers, expected] of cases) t.equal(isNavigation(method, headers), expected, `${method} ${JSON.stringify(headers)}`)
})

t.test('isNavigation: without Sec-Fetch headers, a GET or HEAD whose Accept prefers HTML', async t => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['GET', { accept: BROWSER_ACCEPT }, true],
    ['HEAD', { accept: BROWSER_ACCEPT }, true],
    ['POST', { accept: BROWSER_ACCEPT }, false],
    ['GET', { accept: '*/*' }, false], // curl
    ['GET', {}, false],
    ['GET', { accept: 'application/json' }, false]
  ]
  for (const [method, headers, expected] of cases) t.equal(isNavigation(method, headers), expected, `${method} ${JSON.stringify(headers)}`)
})

t.test('prefersHtml: text/html ranks above application/json by the most specific matching range', async t => {
  const cases: Array<[string | undefined, boolean]> = [
    [BROWSER_ACCEPT, true],
    ['text/html', true],
    ['text/*', true],
    ['TEXT/HTML;level=1', true],
    ['text/html;q=0.9, application/json;q=0.5', true],
    ['application/json, text/html', false], // a tie: the client did not say it prefers HTML
    ['application/json;q=0.5, text/html;q=0.5', false],
    ['application/json, text/html;q=0.9', false],
    ['text/html;q=0, */*', false],
    ['*/*', false],
    ['*/*;q=0.8, application/json;q=0.1', true], // through the wildcard, but ranked above JSON all the same
    ['text/html;q=abc', false],
    ['', false],
    [undefined, false],
    [',,;q=1, /', false]
  ]
  for (const [accept, expected] of cases) t.equal(prefersHtml(accept), expected, String(accept))
})
