import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { BuildErrorInfo } from '../types/index.js'
import { displayPath, scrubPaths } from './paths.js'

/** Bounds what one failed build may send to every browser. */
export const MAX_ERRORS = 50
export const MAX_TEXT = 8192

/**
 * Turns whatever a builder threw or returned (Errors, strings, esbuild/rollup/babel-style error
 * objects, AggregateErrors, arrays of any of these) into overlay-ready errors, with paths shown
 * as displayPath() shows them (relative to `cwd`, or from `~`).
 */
export function normalizeErrors (value: unknown, cwd = process.cwd()): BuildErrorInfo[] {
  return flatten(value).slice(0, MAX_ERRORS).map(error => toInfo(error, cwd))
}

function flatten (value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(flatten)
  // esbuild's BuildFailure and AggregateError carry the real errors in `errors`.
  const nested = (value as { errors?: unknown } | null)?.errors
  if (Array.isArray(nested) && nested.length > 0) return nested.flatMap(flatten)
  return [value]
}

interface ErrorLike {
  message?: unknown
  text?: unknown
  stack?: unknown
  file?: unknown
  filename?: unknown
  fileName?: unknown
  id?: unknown
  line?: unknown
  lineNumber?: unknown
  column?: unknown
  columnNumber?: unknown
  frame?: unknown
  codeFrame?: unknown
  loc?: { file?: unknown, line?: unknown, column?: unknown }
  location?: { file?: unknown, line?: unknown, column?: unknown, length?: unknown, lineText?: unknown } | null
}

function toInfo (value: unknown, cwd: string): BuildErrorInfo {
  if (value === null || typeof value !== 'object') return { message: clip(scrubPaths(String(value), cwd)) }
  const error = value as ErrorLike
  const location = error.location ?? undefined
  const info: BuildErrorInfo = { message: clip(scrubPaths(String(error.message ?? error.text ?? value), cwd)) }
  const file = firstString(error.file, error.filename, error.fileName, error.loc?.file, location?.file, error.id)
  if (file !== undefined) info.file = displayPath(file, cwd)
  const line = firstNumber(error.line, error.lineNumber, error.loc?.line, location?.line)
  if (line !== undefined) info.line = line
  // esbuild counts columns from 0; everyone else, and editors, from 1.
  const column = location !== undefined && typeof location.column === 'number'
    ? location.column + 1
    : firstNumber(error.column, error.columnNumber, error.loc?.column)
  if (column !== undefined) info.column = column
  const frame = firstString(error.frame, error.codeFrame) ?? (location === undefined ? undefined : esbuildFrame(location, cwd))
  if (frame !== undefined) info.frame = clip(scrubPaths(frame, cwd))
  if (typeof error.stack === 'string') info.stack = clip(scrubPaths(error.stack, cwd))
  return info
}

/** Lines shown on each side of the one esbuild names. */
const FRAME_CONTEXT = 2

/**
 * esbuild's code frame: it gives the one line (`lineText`); the lines around it come from the
 * file when it can be read and still holds that line, and a caret marks the place.
 */
function esbuildFrame (location: NonNullable<ErrorLike['location']>, cwd: string): string | undefined {
  const { lineText, line, column, file } = location
  if (typeof lineText !== 'string' || typeof line !== 'number' || typeof column !== 'number') return firstString(lineText)
  const length = typeof location.length === 'number' && location.length > 0 ? location.length : 1
  return (typeof file === 'string' ? codeFrame(resolve(cwd, file), line, column + 1, { lineText, length }) : undefined) ??
    frameOf([[line, lineText]], line, column + 1, length)
}

/**
 * The code frame of `line` (from 1) of `file` as it is now: the lines around it, and a caret
 * under `column` (from 1) when there is one. Undefined where the file cannot be read, has no
 * such line, or no longer holds `lineText` there.
 */
export function codeFrame (file: string, line: number, column?: number, { lineText, length = 1 }: { lineText?: string, length?: number } = {}): string | undefined {
  let lines: string[]
  try {
    lines = readFileSync(file, 'utf8').split(/\r?\n/)
  } catch {
    return undefined
  }
  if (line < 1 || line > lines.length || (lineText !== undefined && lines[line - 1] !== lineText)) return undefined
  const first = Math.max(1, line - FRAME_CONTEXT)
  return frameOf(lines.slice(first - 1, Math.min(lines.length, line + FRAME_CONTEXT)).map((text, i): [number, string] => [first + i, text]), line, column, length)
}

function frameOf (rows: Array<[number, string]>, line: number, column: number | undefined, length: number): string {
  const width = String(rows.at(-1)![0]).length
  return rows.flatMap(([number, text]) => {
    const row = `${String(number).padStart(width)} | ${text}`
    return number === line && column !== undefined ? [row, `${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}${'^'.repeat(length)}`] : [row]
  }).join('\n')
}

/** What a clipped text keeps of its start (the command, its status, the first lines); the rest of MAX_TEXT is its end. */
const CLIP_HEAD = 1024

/**
 * `text`, at most MAX_TEXT characters of it: its start and its end, where tools print the error
 * after their progress (a build's 200 lines of output ended with the one that mattered, which a
 * clip of the start alone dropped).
 */
function clip (text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, CLIP_HEAD)}\n…\n${text.slice(text.length - (MAX_TEXT - CLIP_HEAD - 3))}` : text
}

function firstString (...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v !== '')
}

function firstNumber (...values: unknown[]): number | undefined {
  return values.find((v): v is number => typeof v === 'number' && Number.isFinite(v))
}
