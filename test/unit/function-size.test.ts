// Every function in lib/ reads on one screen: under 80 lines, its signature to its closing brace
// (issue 38). A longer one is split by what it does, not by where a line falls.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import ts from 'typescript'

const MAX_LINES = 79
const lib = new URL('../../lib/', import.meta.url).pathname

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

t.test(`no function in lib/ is longer than ${MAX_LINES} lines`, async t => {
  const long: string[] = []
  let functions = 0
  for (const file of sources(lib)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
        functions++
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line
        if (last - first + 1 > MAX_LINES) long.push(`${file.slice(lib.length)}:${first + 1} (${last - first + 1} lines)`)
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  t.ok(functions > 500, `${functions} functions read`)
  t.same(long, [], 'every function under 80 lines')
})
