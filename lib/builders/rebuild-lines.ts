// What a generator in its own watch mode prints about its rebuilds: the line that begins one,
// the line that ends it, and the lines that say it failed. Matched one line at a time, colours
// stripped, as VS Code's background problem matchers frame a watch task.
import type { RunBuilderOptions } from '../../types/index.js'

export type RebuildPatterns = Required<Pick<RunBuilderOptions, 'begins' | 'ends' | 'errors'>>

/**
 * The watch modes people run, each line as the tool prints it (run against Eleventy 3.1.8, tsc
 * 5.9 and esbuild 0.28; Hugo's, Vite's and Jekyll's lines as their documentation and users'
 * reports show them):
 * - Eleventy `--watch`: `[11ty] File changed: ./src/a.md` … `[11ty] Wrote 3 files in 0.05 seconds`
 *   (`Copied 2 Wrote 3 files` with passthrough copies); `[11ty] Watching…` ends one that printed
 *   no count (a fatal error in its config).
 * - Hugo `--watch`: `Change detected, rebuilding site (#2).` … `Total in 12 ms`.
 * - tsc `--watch`: `File change detected. Starting incremental compilation...` … `Found 0
 *   errors. Watching for file changes.`
 * - esbuild `--watch`: `[watch] build started (change: "src/a.ts")` … `[watch] build finished`.
 * - Vite `build --watch`: `build started...` … `built in 310ms.`
 * - Jekyll `--watch`: `Regenerating: 1 file(s) changed at …` … `...done in 0.04 seconds.`
 *
 * And the ends of other tools' rebuilds (their documentation's and users' lines), with the words
 * a tool of one's own likely prints, each at the start of its line, after a tag at most (a code
 * frame's `1 │ let done` or a step's `reading sources... done` is no end): `gen: rebuilding…` and
 * Tailwind's `Rebuilding...`, Rollup's `bundles src/main.js → dist…` begin one; `gen: done`,
 * Tailwind's `Done in 42ms.`, Parcel's `✨ Built in 52ms`, webpack's `webpack 5.97.1 compiled
 * successfully in 77 ms` (`compiled with 1 error in …`), Rollup's `created dist in 52ms` and
 * `[2026-11-30 10:00:00] waiting for changes...`, and Sass's `Sass is watching for changes` end
 * one. Not `watching for file changes...`, which Vite prints before its first build begins.
 */
export const DEFAULT_PATTERNS: RebuildPatterns = {
  begins: /^\[11ty\] File changed: |^Change(?: of config file)? detected, rebuilding site|Starting (?:incremental )?compilation|^\[watch\] build started|^build started|^\s*Regenerating: |^\S*:?\s*rebuilding\b|^bundles \S.* → /i,
  ends: /^\[11ty\] (?:(?:Copied \d+ )?Wrote \d+ files?|Watching)|^Total in \d+ ms|Found \d+ errors?\. Watching for file changes|^\[watch\] build finished|^\S*\s*built in \d|\.\.\.done in [\d.]+ seconds|^\S*:?\s*done(?: in [\d.]+ ?m?s)?[.!]?$|compiled (?:successfully|with \d+ (?:errors?|warnings?)) in \d|^created \S.* in [\d.]+ ?m?s\b|^\[[^\]]+\] waiting for changes|^Sass is watching for changes/i,
  // The word as a word: not `errors` in a count, not a path (`_site/error/index.html`, `error.md`).
  errors: /(?<![\w./-])(?:error|fatal|exception)(?![\w./-])|✘|^\[!\]|Problem writing/i
}

export type LineKind = 'begins' | 'ends' | 'error' | null

/** What one line of the tool's output says about its rebuilds. */
export function lineKind (line: string, patterns: RebuildPatterns): LineKind {
  if (patterns.begins.test(line)) return 'begins'
  if (patterns.ends.test(line)) return 'ends'
  return patterns.errors.test(line) ? 'error' : null
}
