import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { LiveReloadOptions } from '../../types/index.js'
import { serveSite, type Site } from './browser.js'
import { fixture } from './fixture.js'

/** A page to patch: no favicon request (see client.test.ts), a tall body, text to select, a field, a script that counts its runs. */
export const PAGE = ({ title = 'one', body = '<h1>one</h1>', head = '', end = '', script = '<script src="/app.js"></script>' } = {}): string =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title>` +
  `<link rel="stylesheet" href="/site.css">${head}</head>` +
  `<body>${body}<p>Some text to select.</p><input id="name"><div style="height: 4000px"></div><p id="end">end</p>${end}${script}</body></html>`

/** The site: two pages, their script and two stylesheets. */
export const FILES = {
  'index.html': PAGE(),
  'about.html': PAGE({ title: 'about', body: '<h1>about</h1>' }),
  'app.js': 'window.appRuns = (window.appRuns ?? 0) + 1',
  'site.css': 'h1 { color: rgb(255, 0, 0) }',
  'other.css': 'h1 { color: rgb(0, 0, 255) }'
}

export interface PatchSite extends Site { requests: (url: string) => number }

/** The site, counting the requests for each URL path from now on (`requests('/')`). */
export async function patchSite (t: Test, options: LiveReloadOptions = {}, setup?: (app: FastifyInstance) => void): Promise<PatchSite> {
  const counts = new Map<string, number>()
  const site = await serveSite(t, fixture(t, FILES), options, {
    setup: app => {
      app.addHook('onRequest', async request => { counts.set(request.url, (counts.get(request.url) ?? 0) + 1) })
      setup?.(app)
    }
  })
  return { ...site, requests: url => counts.get(url) ?? 0 }
}
