// The docs site's builder: shardedBuilder with one shard per section (the top-level
// directory), the pages rendered in worker threads (worker.js), and a merge step on the main
// thread for what spans every section: sitemap.xml, search-index.json and the home page. With
// `queue` ({ redis }), the sections are built by shard workers (`fastify-livereload shard-worker`)
// instead of threads of this process.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { shardedBuilder } from 'fastify-livereload'
import { escapeHtml } from './worker.js'

/**
 * `execArgv`: the worker threads' Node.js flags (the default is this process's own).
 * @param {{ content: string, out: string, layout: string, cache?: string | false, concurrency?: number, origin?: string, queue?: import('fastify-livereload').ShardQueueOptions, execArgv?: string[] }} options
 */
export function docsBuilder ({ content, out, layout, cache, concurrency, origin = 'http://localhost:3000', queue, execArgv }) {
  return shardedBuilder({
    worker: new URL('./worker.js', import.meta.url),
    sources: content,
    include: '**/*.md',
    shared: layout,                 // a layout change rebuilds every page
    shardOf: 'directory',
    cache,
    concurrency,
    execArgv,
    queue,
    output: out,                    // a shard's reported outputs must lie here (and pruning stays here)
    workerData: { content, out, layout },
    async merge (shards) {
      const pages = shards.flatMap(shard => shard.data ?? [])
      await mkdir(out, { recursive: true })
      const sitemap = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ...['/index.html', ...pages.map(page => page.url)].map(url => `  <url><loc>${escapeHtml(origin + url)}</loc></url>`),
        '</urlset>', ''
      ].join('\n')
      const sections = shards.map(shard => `<li><a href="${escapeHtml(shard.data?.[0]?.url ?? '/')}">${escapeHtml(shard.key)}</a> (${shard.files.length} pages)</li>`)
      const home = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Docs</title></head><body><h1>Docs</h1><p>${pages.length} pages</p><ul>${sections.join('')}</ul></body></html>\n`
      const files = {
        'sitemap.xml': sitemap,
        'search-index.json': JSON.stringify(pages),
        'index.html': home
      }
      await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(out, name), text)))
      return { outputs: Object.keys(files).map(name => join(out, name)) }
    }
  })
}
