// The shard worker: runs in a worker thread, one shard (one section) at a time. Renders the
// shard's pages with `marked` into the layout, and returns every page's title, URL and text
// for the merge step (sitemap, search index, home page). On a partial build (`full: false`)
// it renders only the pages that changed: a page depends on itself and the layout alone, and a
// layout change makes the build full. The merge data still covers every page of the shard.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { Marked } from 'marked'

const marked = new Marked()

/** @type {import('fastify-livereload').BuildShard<PageEntry[], { content: string, out: string, layout: string }>} */
export async function buildShard ({ key, files, changes, full, workerData: { content, out, layout } }) {
  const template = await readFile(layout, 'utf8')
  const changed = new Set(changes.filter(change => change.type !== 'delete').map(change => change.path))
  const outputs = []
  const pages = []
  for (const file of files) {
    const markdown = await readFile(file, 'utf8')
    const rel = relative(content, file).split('\\').join('/')
    const url = `/${rel.replace(/\.md$/, '.html')}`
    const title = /^#\s+(.+)/.exec(markdown)?.[1]
    if (title === undefined) {
      throw Object.assign(new Error('a page must start with a "# Title" line'), { file, line: 1, column: 1 })
    }
    const target = join(out, url)
    if (full || changed.has(file)) {
      const html = template
        .replaceAll('{{title}}', escapeHtml(title))
        .replace('{{section}}', escapeHtml(key))
        .replace('{{content}}', await marked.parse(markdown))
      await mkdir(dirname(target), { recursive: true })
      await writeFile(target, html)
    }
    outputs.push(target)
    pages.push({ url, title, section: key, text: plainText(markdown).slice(0, 300) })
  }
  return { outputs, data: pages }
}

/**
 * @typedef {{ url: string, title: string, section: string, text: string }} PageEntry
 */

function plainText (markdown) {
  return markdown.replace(/```[\s\S]*?```/g, '').replace(/^#+\s.*$/gm, '').replace(/[*`|#[\]()-]/g, '').replace(/\s+/g, ' ').trim()
}

export function escapeHtml (text) {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}
