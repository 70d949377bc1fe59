import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { BuildContext } from '../../types/index.js'

/** Copies src/*.txt to dist/*.html; fails on a source that says "broken". */
export function copyBuilder (src: string, dist: string) {
  return async ({ changes, full }: BuildContext) => {
    const files = full ? (await readdir(src)).map(name => join(src, name)) : changes.map(change => change.path)
    await mkdir(dist, { recursive: true })
    for (const file of files.filter(f => f.endsWith('.txt'))) {
      const text = await readFile(file, 'utf8')
      if (text.includes('broken')) throw Object.assign(new Error(`cannot build ${basename(file)}`), { file, line: 1 })
      await writeFile(join(dist, basename(file, '.txt') + '.html'), `<html><head></head><body>${text}</body></html>`)
    }
  }
}
