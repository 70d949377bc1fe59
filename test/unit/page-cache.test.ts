import t from 'tap'
import { createPageCache, MAX_CACHED_BYTES, MAX_CACHED_PAGE, MAX_CACHED_PAGES } from '../../lib/inject/page-cache.js'

const page = (length: number, fill = 'x') => fill.repeat(length)

t.test('a page is found again by its content, not by its length alone', async t => {
  const cache = createPageCache()
  const bytes = Buffer.from('injected')
  cache.set(page(10), bytes)
  t.equal(cache.get(page(10)), bytes, 'an equal string, made again')
  t.equal(cache.get(page(10, 'y')), undefined, 'the same length, other characters')
  t.equal(cache.get(page(11)), undefined)
  const other = Buffer.from('other')
  cache.set(page(10, 'y'), other)
  t.equal(cache.get(page(10, 'y')), other, 'it takes the slot of its length')
  t.equal(cache.get(page(10)), undefined)
})

t.test('it holds at most so many pages and bytes, the one used longest ago going first, and no huge page', async t => {
  const cache = createPageCache()
  for (let length = 1; length <= MAX_CACHED_PAGES; length++) cache.set(page(length), Buffer.alloc(1))
  t.ok(cache.get(page(1)), 'the first page, used again')
  cache.set(page(MAX_CACHED_PAGES + 1), Buffer.alloc(1))
  t.equal(cache.get(page(2)), undefined, 'the page used longest ago went')
  t.ok(cache.get(page(1)))
  t.ok(cache.get(page(3)))
  t.ok(cache.get(page(MAX_CACHED_PAGES + 1)))

  const big = createPageCache()
  const chars = MAX_CACHED_PAGE / 4
  const fit = MAX_CACHED_BYTES / MAX_CACHED_PAGE
  // Each counts MAX_CACHED_PAGE: its string at two bytes a character, and its bytes.
  for (let i = 0; i < fit + 1; i++) big.set(page(chars + i), Buffer.alloc(MAX_CACHED_PAGE / 2 - 2 * i))
  t.equal(big.get(page(chars)), undefined, 'over the byte budget: the oldest went')
  t.ok(big.get(page(chars + 1)))
  t.ok(big.get(page(chars + fit)))

  big.set(page(10), Buffer.alloc(MAX_CACHED_PAGE + 1))
  t.equal(big.get(page(10)), undefined, 'a page of too many bytes is not held')
  t.ok(big.get(page(chars + fit)), 'nor does it push others out')
})
