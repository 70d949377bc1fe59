// Where errors point: the `file:line:column` places the overlay and the route error page show,
// as links that open the editor (routes.ts). Pure: shared by the page's renderer and the
// record of the files errors named.
import type { BuildErrorInfo } from '../../types/index.js'

/** A V8 stack frame's place: `at fn (src/a.js:3:7)` or `at src/a.js:3:7`, as shown (display paths). */
const FRAME_PLACE = /^(\s+at\s(?:.*\()?)(.+?):(\d+):(\d+)(\)?)$/

export interface FramePlace {
  /** The frame's text before the place, and after it. */
  before: string
  after: string
  file: string
  line: number
  column: number
}

/** The place a stack frame's line names, with the text around it; null for Node's own frames (`node:`) and anonymous ones. */
export function framePlace (text: string): FramePlace | null {
  const match = FRAME_PLACE.exec(text)
  if (match === null) return null
  const [, before, file, line, column, after] = match as unknown as [string, string, string, string, string, string]
  if (file.startsWith('node:') || file.includes('<anonymous>') || file.startsWith('file://')) return null
  return { before, after, file, line: Number(line), column: Number(column) }
}

/**
 * Every file `errors` name: each error's own, and those of its stack's frames. What an app
 * passed to send(), or a cluster's Redis, is read as data: anything but an array of objects names nothing.
 */
export function namedFiles (errors: readonly BuildErrorInfo[]): string[] {
  const files: string[] = []
  if (!Array.isArray(errors)) return files
  for (const error of errors as unknown[] as Array<Partial<BuildErrorInfo> | null>) {
    if (error === null || typeof error !== 'object') continue
    if (typeof error.file === 'string') files.push(error.file)
    for (const text of (typeof error.stack === 'string' ? error.stack : '').split('\n')) {
      const place = framePlace(text)
      if (place !== null) files.push(place.file)
    }
  }
  return files
}
