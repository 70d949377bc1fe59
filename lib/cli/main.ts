#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { fileURLToPath } from 'node:url'
import { builtFile } from '../built.js'
import { HELP, parseCommand, said, usageFailure, UsageError } from './args.js'
import { requireWithCodeCache } from './code-cache.js'
import { forkFirstChild } from './early-child.js'
import type * as Run from './run.js'

// Node ≥ 22.1: V8's compiled code of the modules loaded from here on (the packages left out of
// the bundles: the watcher's, picomatch) kept on disk between starts, in Node's own cache
// directory (NODE_COMPILE_CACHE, else the system's temporary one). The server's bundle has a
// cache of its own (code-cache.ts).
;(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.()

/** The content hash of dist/cli-run.cjs, given by the build (scripts/build.js): its code cache's name. */
declare const RUN_BUNDLE_HASH: string

/** `fastify-livereload [dir] [flags]`: see docs/cli.md. Exit codes: 0 stopped, 1 failed, 2 bad command line. */
async function main (argv: readonly string[]): Promise<void> {
  let command
  try {
    command = parseCommand(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    return usageFailure(err.message)
  }
  if (command.kind === 'help') process.stdout.write(`${HELP}\n`)
  else if (command.kind === 'version') process.stdout.write(`${version()}\n`)
  else {
    const early = command.kind === 'dev' ? forkFirstChild(command.options) : null
    try {
      // A cache for each kind of start: a server's holds none of the dev server's functions (dev
      // started 24–32 ms later on Node 20 with a server's cache than with its own, 5–13 on Node 24).
      const cached = requireWithCodeCache(fileURLToPath(builtFile('cli-run.cjs')), `${RUN_BUNDLE_HASH}-${command.kind}`) as typeof Run
      await cached.run(command, early)
    } finally {
      early?.end() // taken by the dev server unless it failed to start
    }
  }
}

function version (): string {
  const pkg = JSON.parse(readFileSync(builtFile('../package.json'), 'utf8')) as { version: string }
  return pkg.version
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(said((err as Error).message ?? String(err)))
  process.exitCode = 1
})
