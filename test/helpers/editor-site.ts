import { join } from 'node:path'
import type { Test } from 'tap'
import { serveSite, type Site } from './browser.js'
import { fixture } from './fixture.js'

/** The site's one page. */
export const PAGE = '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><h1>site</h1></body></html>'

/** A site whose src/ is watched; `/boom` throws from src/a.js, line 3, column 5: places for the editor links. */
export async function editorSite (t: Test): Promise<Site & { source: string }> {
  const base = fixture(t, { dist: { 'index.html': PAGE }, src: { 'a.js': 'one\ntwo\nthree\n' } })
  const source = join(base, 'src/a.js')
  const site = await serveSite(t, join(base, 'dist'), { watch: [join(base, 'src')] }, {
    setup: app => app.get('/boom', async () => {
      const error = new Error('boom')
      error.stack = `Error: boom\n    at handler (${source}:3:5)`
      throw error
    })
  })
  return { ...site, source }
}
