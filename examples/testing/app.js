// The app under test in docs/testing.md: pages built from src/*.txt into an output directory,
// served with live reload. A page must open with a "# Title" line, or its build fails.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import Fastify from 'fastify'
import liveReload from 'fastify-livereload'

/** Builds src/<name>.txt into out/<name>.html: every page on a full build, the changed ones otherwise. */
export function pagesBuilder (src, out) {
  return {
    name: 'pages',
    async build ({ changes, full }) {
      const files = full ? (await readdir(src)).map(name => join(src, name)) : changes.map(change => change.path)
      await mkdir(out, { recursive: true })
      for (const file of files.filter(f => f.endsWith('.txt'))) {
        const [first, ...rest] = (await readFile(file, 'utf8')).split('\n')
        if (!first.startsWith('# ')) {
          throw Object.assign(new Error('a page must start with a "# Title" line'), { file, line: 1, column: 1 })
        }
        const html = `<!doctype html><html><head><title>${first.slice(2)}</title></head>` +
          `<body><h1>${first.slice(2)}</h1><p>${rest.join(' ')}</p></body></html>`
        await writeFile(join(out, `${basename(file, '.txt')}.html`), html)
      }
    }
  }
}

/** @param {{ src: string, out: string, logger?: boolean }} options */
export async function createApp ({ src, out, logger = false }) {
  const app = Fastify({ logger })
  await app.register(liveReload, { root: out, watch: src, builder: pagesBuilder(src, out) })
  return app
}
