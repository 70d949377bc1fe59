// What a failed command's output says: where the error is (the file, line and column the overlay
// heads with), and its text once (tools print some of it twice).
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { resolve as resolvePath, sep } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import type { BuildErrorInfo } from '../../types/index.js'
import { codeFrame } from '../build-errors.js'
import { displayPath } from '../paths.js'

/**
 * Where the tools people run this way say an error is, each format with its file, line and column:
 * tsc's `file(line,col)`; nunjucks' (Eleventy) `(file) [Line n, Column m]`; liquidjs'
 * `file:path, line:n, col:m`; `file:line:col` (esbuild, postcss, vite, rollup, eslint, stacks);
 * `file line:col` (sass, webpack). The two template engines' count lines from after a template's
 * front matter when Eleventy runs them (TEMPLATE_FORMATS).
 */
const LOCATIONS = [
  /(?<file>[\w./@~+-]+\.[A-Za-z0-9]+)\((?<line>\d+),(?<column>\d+)\)/g,
  /\((?<file>[^()\s]+\.[A-Za-z0-9]+)\)\s*\[Line (?<line>\d+), Column (?<column>\d+)\]/g,
  /file:(?<file>[^,\s]+\.[A-Za-z0-9]+), line:(?<line>\d+), col:(?<column>\d+)/g,
  /(?<file>[\w./@~+-]+\.[A-Za-z0-9]+):(?<line>\d+)(?::(?<column>\d+))?/g,
  /(?<file>[\w./@~+-]+\.[A-Za-z0-9]+) (?<line>\d+):(?<column>\d+)/g
]
const TEMPLATE_FORMATS = new Set([1, 2])
/** A path named without a line (`./content/post.md`, `src/a.njk`): a directory, a name, an extension. */
const NAMED_FILE = /(?<![\w./@~+-])(?:\.{1,2}\/)?[\w@~+-][\w.@~+-]*(?:\/[\w.@~+-]+)*\/[\w@~+-][\w.@~+-]*\.[A-Za-z0-9]+(?![\w/(:])/g
/** How much of a tool's output (bytes, its last) a builder keeps for the overlay: `maxOutput`'s default. */
export const DEFAULT_MAX_OUTPUT = 64 * 1024
/** Eleventy's own lines start so. */
const ELEVENTY = /^\[11ty\]/m
/** Lines in a row that, seen before in the same order, are a repetition in Eleventy's output (it prints its whole error twice). */
const MIN_REPEAT = 4

interface Location { file: string, line?: number, column?: number, at: number }

/**
 * The error of a failed command, located where its output points: of every location it names,
 * the first (in the output's order) of a file of the project that exists, else the first such
 * file named without a line (Eleventy's front-matter errors name the template so, and locate only
 * the YAML parser's frames), else the first in node_modules, else the first named at all. A
 * template error's output names the template and, first, the engine's own frames: the template is
 * where the fix goes. Eleventy's output is shown once: a run of lines it repeats is left out (it
 * prints its whole error twice); another tool's repeated lines may be another error's.
 */
export function commandError (cmd: string, status: string, coloured: string, cwd = process.cwd()): BuildErrorInfo {
  // Colours off: tsc --pretty and others colour a place's parts apart (`\x1b[96msrc/a.ts\x1b[0m:\x1b[93m2\x1b[0m`).
  const output = stripVTControlCharacters(coloured)
  const isEleventy = ELEVENTY.test(output)
  const text = isEleventy ? withoutRepeats(output.trimEnd()) : output.trimEnd()
  const error: BuildErrorInfo = { message: `\`${cmd}\` ${status}${text.trim() === '' ? '' : `\n\n${text}`}` }
  const found: Location[] = []
  for (const [format, pattern] of LOCATIONS.entries()) {
    for (const match of output.matchAll(pattern)) {
      const { file, line, column } = match.groups as { file: string, line: string, column?: string }
      const path = resolvePath(cwd, file)
      const shift = isEleventy && TEMPLATE_FORMATS.has(format) ? frontMatterLines(path) : 0
      found.push({ file: path, line: Number(line) + shift, column: column === undefined ? undefined : Number(column), at: match.index })
    }
  }
  found.sort((a, b) => a.at - b.at)
  const named: Location[] = [...output.matchAll(NAMED_FILE)].map(match => ({ file: resolvePath(cwd, match[0]), at: match.index }))
  const inProject = (location: Location): boolean => !location.file.split(sep).includes('node_modules') && existsSync(location.file)
  const best = found.find(inProject) ?? named.find(inProject) ??
    found.find(location => !inProject(location) && existsSync(location.file)) ?? found[0]
  if (best !== undefined) {
    error.file = displayPath(best.file)
    if (best.line !== undefined) error.line = best.line
    if (best.column !== undefined) error.column = best.column
    // The tool's own, where it printed one, is in the message; this one is the file as it is now.
    const frame = best.line === undefined ? undefined : codeFrame(best.file, best.line, best.column)
    if (frame !== undefined) error.frame = frame
  }
  return error
}

/** The lines a file's front matter takes (`---` to `---`, both counted); 0 when it has none. */
function frontMatterLines (file: string): number {
  let head: string
  try {
    const fd = openSync(file, 'r')
    try {
      const bytes = Buffer.alloc(64 * 1024)
      head = bytes.toString('utf8', 0, readSync(fd, bytes, 0, bytes.length, 0))
    } finally {
      closeSync(fd)
    }
  } catch {
    return 0
  }
  const lines = head.split('\n')
  if (lines[0]?.trimEnd() !== '---') return 0
  const end = lines.findIndex((line, i) => i > 0 && line.trimEnd() === '---')
  return end === -1 ? 0 : end + 1
}

/** `text` without the runs of MIN_REPEAT or more lines that repeat lines it had already, in order. */
function withoutRepeats (text: string): string {
  const lines = text.split('\n')
  const kept: string[] = []
  const seen = new Map<string, number[]>() // a line's places in `kept`, the last 8
  for (let i = 0; i < lines.length;) {
    let longest = 0
    for (const j of seen.get(lines[i]) ?? []) {
      let n = 0
      while (i + n < lines.length && j + n < kept.length && kept[j + n] === lines[i + n]) n++
      longest = Math.max(longest, n)
    }
    if (longest >= MIN_REPEAT) {
      i += longest
      continue
    }
    const places = seen.get(lines[i]) ?? []
    places.push(kept.length)
    seen.set(lines[i], places.slice(-8))
    kept.push(lines[i++])
  }
  return kept.join('\n')
}
