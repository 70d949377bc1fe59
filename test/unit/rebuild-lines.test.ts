// What runBuilder reads in a generator's output (lib/builders/rebuild-lines.ts): lines as the
// tools print them in their watch modes.
import t from 'tap'
import { DEFAULT_PATTERNS, lineKind } from '../../lib/builders/rebuild-lines.js'

const kind = (line: string): string | null => lineKind(line, DEFAULT_PATTERNS)

t.test('each tool\'s rebuild begins and ends where its output says so', async t => {
  const cases: Array<[string, string, string | null]> = [
    ['Eleventy', '[11ty] File changed: ./content/blog/firstpost.md', 'begins'],
    ['Eleventy', '[11ty] Writing ./_site/index.html from ./content/index.njk (njk)', null],
    ['Eleventy', '[11ty] Wrote 1 file in 0.01 seconds (v3.1.8)', 'ends'],
    ['Eleventy', '[11ty] Copied 3 Wrote 12 files in 0.31 seconds (26.1ms each, v3.1.6)', 'ends'],
    ['Eleventy', '[11ty] Watching…', 'ends'],
    ['Hugo', 'Change detected, rebuilding site (#2).', 'begins'],
    ['Hugo', 'Change of config file detected, rebuilding site (#3).', 'begins'],
    ['Hugo', 'Total in 14 ms', 'ends'],
    ['tsc', '[10:02:11 AM] File change detected. Starting incremental compilation...', 'begins'],
    ['tsc', '[10:02:10 AM] Starting compilation in watch mode...', 'begins'],
    ['tsc', '[10:02:11 AM] Found 0 errors. Watching for file changes.', 'ends'],
    ['tsc', '[10:02:11 AM] Found 1 error. Watching for file changes.', 'ends'],
    ['esbuild', '[watch] build started (change: "src/app.ts")', 'begins'],
    ['esbuild', '[watch] build finished', 'ends'],
    ['Vite', 'build started...', 'begins'],
    ['Vite', 'built in 312ms.', 'ends'],
    ['Jekyll', '      Regenerating: 1 file(s) changed at 2026-11-27 10:02:11', 'begins'],
    ['Jekyll', '                    ...done in 0.043 seconds.', 'ends'],
    ['Tailwind', 'Rebuilding...', 'begins'],
    ['Tailwind', 'Done in 42ms.', 'ends'],
    ['a tool of one\'s own', 'gen: rebuilding…', 'begins'],
    ['a tool of one\'s own', 'gen: done', 'ends'],
    ['Parcel', '✨ Built in 52ms', 'ends'],
    ['webpack', 'webpack 5.97.1 compiled successfully in 77 ms', 'ends'],
    ['webpack', 'webpack 5.97.1 compiled with 1 error in 56 ms', 'ends'],
    ['Rollup', 'created dist/bundle.js in 52ms', 'ends'],
    ['Rollup', '[2026-11-30 03:50:00] waiting for changes...', 'ends'],
    ['Sass', 'Sass is watching for changes. Press Ctrl-C to stop.', 'ends'],
    ['Rollup', 'bundles src/main.js → dist/bundle.js...', 'begins'],
    ['Hugo', 'Built in 38 ms', 'ends'],
    ['Eleventy', '[11ty] Writing ./_site/done/index.html from ./content/done.md (md)', null],
    ['a page named so', 'wrote _site/rebuilding-trust/index.html', null],
    ['Vite, before its first build began', 'watching for file changes...', null],
    ['a code frame', '    1 │ let done = false', null],
    ['a code frame\'s line', '  12 |   return done', null],
    ['a step of a build', 'loading pickled environment... done', null],
    ['an error that names a rebuild', 'Error while rebuilding site: boom', 'error']
  ]
  for (const [tool, line, expected] of cases) t.equal(kind(line), expected, `${tool}: ${line.trim()}`)
})

t.test('an error is a line that says so; a page, a path or a count that holds the word is not', async t => {
  const errors = [
    '[11ty] Problem writing Eleventy templates:',
    '[11ty] Eleventy Fatal Error (CLI):',
    'src/main.ts(3,7): error TS2322: Type \'string\' is not assignable to type \'number\'.',
    '✘ [ERROR] Could not resolve "./missing"',
    'ERROR render of "page" failed: "/site/layouts/_default/single.html:5:3": execute of template failed',
    'error during build:',
    '[!] RollupError: Unexpected token',
    '  Liquid Exception: undefined filter in _posts/2026-11-27-hello.md',
    'Error: ENOENT: no such file or directory'
  ]
  for (const line of errors) t.equal(kind(line), 'error', line)
  const fine = [
    '[11ty] Writing ./_site/error/index.html from ./content/error.md (liquid)',
    'Found 0 errors in 0 files.',
    'Wrote _site/errors.html',
    '  dist/assets/error-handler-3f9a1c.js  1.2 kB'
  ]
  for (const line of fine) t.equal(kind(line), null, line)
})
