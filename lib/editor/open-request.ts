// What `POST {path}/open-in-editor` may ask: checked field by field before anything touches the
// disk. Pure: no file system, no Fastify.
import { timingSafeEqual } from 'node:crypto'

/** The longest line and column number taken: past them no editor has a place to go. */
export const MAX_LINE = 10_000_000
export const MAX_COLUMN = 10_000_000
/** Characters of a file name at most (PATH_MAX on Linux). */
export const MAX_FILE = 4096

export interface OpenRequest {
  /** The file as an error showed it: relative to the server's working directory, from `~`, or absolute. */
  file: string
  line: number
  column: number | undefined
}

/** A request refused: its HTTP status, a stable code and what to tell the person. */
export interface EditorRefusal { status: number, code: string, message: string }

export function refusal (code: string, message: string, status = 403): EditorRefusal {
  return { status, code, message }
}

const KEYS = new Set(['file', 'line', 'column', 'token'])

/** The request's body as an OpenRequest, or why it is refused. `token` is this server's. */
export function readOpenRequest (body: unknown, token: string): OpenRequest | EditorRefusal {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return refusal('bad-request', 'the body must be a JSON object { file, line, column?, token }')
  const fields = body as Record<string, unknown>
  const unknown = Object.keys(fields).find(key => !KEYS.has(key))
  if (unknown !== undefined) return refusal('bad-request', `"${unknown.slice(0, 40)}" is not a field; fields: file, line, column, token`)
  if (fields.token === undefined) return refusal('missing-token', 'the token is missing: links in the pages the server sent carry it')
  if (typeof fields.token !== 'string' || !isSame(fields.token, token)) return refusal('wrong-token', 'the token is not this server\'s (it restarted since the page loaded: reload the page)')
  const { file, line, column } = fields
  if (typeof file !== 'string' || file === '' || file.length > MAX_FILE) return refusal('bad-file', `"file" must be a path of 1 to ${MAX_FILE} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(file)) return refusal('bad-file', '"file" holds a control character')
  if (line === undefined) return refusal('bad-line', '"line" is missing')
  if (!isPlaceNumber(line, MAX_LINE)) return refusal('bad-line', `"line" must be an integer from 1 to ${MAX_LINE}`)
  if (column !== undefined && !isPlaceNumber(column, MAX_COLUMN)) return refusal('bad-column', `"column" must be an integer from 1 to ${MAX_COLUMN}`)
  return { file, line, column }
}

export function isRefusal (value: OpenRequest | EditorRefusal | string): value is EditorRefusal {
  return typeof value === 'object' && 'code' in value
}

function isPlaceNumber (value: unknown, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= max
}

/** Compares in constant time: how long a wrong token takes says nothing of the right one. */
function isSame (given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}
