// Where in the app's own code an error happened, from its stack (pure): a dev version's failed
// boot (dev/child.ts), a route's error on the page of its 5xx (inject/route-error.ts).
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Place {
  readonly file: string
  readonly line: number
  /** From 1, as editors count. */
  readonly column: number
}

/**
 * The place to show for `error`: the syntax error's own place (V8 heads the stack of a module
 * that does not parse with `file:line`, the line and a caret), else the first frame in the app's
 * files (under `dir`, not in node_modules), else, when `anyFrame`, the first frame in any file.
 * Null when the stack names none.
 */
export function placeOf (error: Error, dir: string, { anyFrame = true } = {}): Place | null {
  const stack = error.stack ?? ''
  const head = /^(file:\/\/\/[^\n]*?|\/[^\n]*?):(\d+)\n(?:[^\n]*\n( *)\^)?/.exec(stack)
  if (head !== null) return { file: pathOf(head[1]!), line: Number(head[2]), column: (head[3]?.length ?? 0) + 1 }
  const frames = [...stack.matchAll(/^\s+at (?:.*?\()?((?:file:\/\/)?\/[^()\s]*?):(\d+):(\d+)\)?$/gm)]
    .map(([, file, line, column]) => ({ file: pathOf(file!), line: Number(line), column: Number(column) }))
  const app = dir.endsWith(sep) ? dir : dir + sep
  return frames.find(frame => frame.file.startsWith(app) && !frame.file.includes(`${sep}node_modules${sep}`)) ?? (anyFrame ? frames[0] : undefined) ?? null
}

function pathOf (location: string): string {
  return location.startsWith('file:') ? fileURLToPath(location) : location
}
