// Generates the docs site's sources: `pages` markdown pages (default 2,000) in 20 sections,
// deterministic (a seeded generator: the same count gives the same bytes). The sources are
// generated, never committed. Run it alone with `node examples/docs-site/generate.js [pages]`.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const SECTIONS = [
  'getting-started', 'installation', 'configuration', 'cli', 'api', 'plugins', 'routing', 'hooks',
  'validation', 'serialization', 'logging', 'testing', 'deployment', 'security', 'performance',
  'database', 'auth', 'websockets', 'recipes', 'reference'
]

const WORDS = ('request reply route plugin hook schema server client stream buffer header cookie session ' +
  'token cache queue worker thread build watch reload module option default value error status ' +
  'payload handler decorator context instance logger level timeout retry backoff socket frame ' +
  'message event listener promise callback config environment process signal shutdown graceful').split(' ')

/** Writes the pages into `dir` unless it already holds exactly this many; resolves to the page count. */
export async function generateSite (dir, pages = 2000) {
  const marker = join(dir, '.generated')
  if (await readFile(marker, 'utf8').then(Number, () => -1) === pages) return pages
  await rm(dir, { recursive: true, force: true })
  const random = seeded(pages)
  const perSection = Math.ceil(pages / SECTIONS.length)
  await Promise.all(SECTIONS.map(section => mkdir(join(dir, section), { recursive: true })))
  const writes = []
  for (let i = 0; i < pages; i++) {
    const section = SECTIONS[Math.floor(i / perSection)]
    const n = i % perSection
    writes.push(writeFile(join(dir, section, `page-${String(n).padStart(3, '0')}.md`), page(section, n, perSection, random)))
  }
  await Promise.all(writes)
  await writeFile(marker, String(pages))
  return pages
}

function page (section, n, perSection, random) {
  const words = (count) => Array.from({ length: count }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')
  const sentence = () => { const s = words(8 + Math.floor(random() * 10)); return `${s[0].toUpperCase()}${s.slice(1)}.` }
  const paragraph = () => Array.from({ length: 4 + Math.floor(random() * 4) }, sentence).join(' ')
  const title = `${section.replace(/-/g, ' ')} ${n + 1}: ${words(3)}`
  const parts = [`# ${title[0].toUpperCase()}${title.slice(1)}`, '', paragraph(), '']
  for (let h = 0; h < 3 + Math.floor(random() * 3); h++) {
    parts.push(`## ${sentence().slice(0, -1)}`, '', paragraph(), '', paragraph(), '')
    if (h === 0) parts.push('```js', `const ${WORDS[h + 3]} = await app.${WORDS[n % WORDS.length]}({ ${WORDS[(n + 1) % WORDS.length]}: ${n} })`, 'console.log(result)', '```', '')
    if (h === 1) parts.push(...Array.from({ length: 5 }, () => `- **${words(1)}**: ${sentence()}`), '')
    if (h === 2) parts.push('| option | default | meaning |', '| --- | --- | --- |', ...Array.from({ length: 4 }, () => `| \`${words(1)}\` | \`${Math.floor(random() * 1000)}\` | ${sentence()} |`), '')
  }
  const next = (n + 1) % perSection
  parts.push(`See also [the next page](./page-${String(next).padStart(3, '0')}.html) and [the home page](/index.html).`, '')
  return parts.join('\n')
}

/** mulberry32: a tiny seeded PRNG, so the site is the same on every machine. */
function seeded (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = fileURLToPath(new URL('content', import.meta.url))
  const count = await generateSite(dir, Number(process.argv[2] ?? process.env.DOCS_PAGES ?? 2000))
  console.log(`${count} pages in ${dir}`)
}
