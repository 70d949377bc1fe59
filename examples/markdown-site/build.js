// A small static-site builder: content/**/*.md → dist/**/*.html through `marked`, wrapped in
// layout.html, plus style.css copied as it is. Incremental: a changed page rebuilds that page;
// a changed layout (or a full build) rebuilds them all. It tells the plugin what it wrote, so
// the browsers get their message the moment the build ends (a stylesheet alone: a CSS swap).
import { mkdir, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises'
import { dirname, extname, join, relative } from 'node:path'
import { Marked } from 'marked'

export function markdownBuilder ({ content, layout, stylesheet, out }) {
  const marked = new Marked()

  async function renderPage (source, template) {
    const markdown = await readFile(source, 'utf8')
    // The site's one rule, so that a broken page shows the error overlay: a page opens with its title.
    const title = /^#\s+(.+)/.exec(markdown)?.[1]
    if (title === undefined) {
      throw Object.assign(new Error('a page must start with a "# Title" line'), {
        file: source, line: 1, column: 1, frame: `> 1 | ${markdown.split('\n')[0]}`
      })
    }
    const html = template.replace('{{title}}', escapeHtml(title)).replace('{{content}}', await marked.parse(markdown))
    const target = join(out, relative(content, source).replace(/\.md$/, '.html'))
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, html)
    return target
  }

  return {
    name: 'markdown',
    async build ({ changes, full, log }) {
      const template = await readFile(layout, 'utf8')
      const everything = full || changes.some(change => change.path === layout)
      const outputs = []
      const errors = []
      if (everything || changes.some(change => change.path === stylesheet)) {
        await mkdir(out, { recursive: true })
        await copyFile(stylesheet, join(out, 'style.css'))
        outputs.push(join(out, 'style.css'))
      }
      const pages = everything
        ? (await readdir(content, { recursive: true })).filter(f => extname(f) === '.md').map(f => join(content, f))
        : changes.filter(change => change.path.endsWith('.md')).map(change => change.path)
      for (const page of pages) {
        const deleted = changes.some(change => change.path === page && change.type === 'delete')
        if (deleted) {
          const target = join(out, relative(content, page).replace(/\.md$/, '.html'))
          await rm(target, { force: true })
          outputs.push(target)
        } else {
          try {
            outputs.push(await renderPage(page, template))
          } catch (err) {
            errors.push(err)
          }
        }
      }
      log.info({ pages: pages.length, errors: errors.length }, 'markdown rendered')
      return { outputs, errors }
    }
  }
}

function escapeHtml (text) {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}
