// tap runs the tests with this loader (see .taprc): TypeScript is transpiled by esbuild, file by
// file, instead of ts-node, which loads the TypeScript compiler into every test process.
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)

// The processes a test starts get child-coverage.mjs (which says why) instead of tap's
// @tapjs/processinfo, which tap puts in each one's NODE_OPTIONS as it spawns: its hook is let go
// here, in the test process, and NODE_OPTIONS names our module instead (or nothing, with coverage
// off, or outside tap). Children inherit it; fork() children inherit execArgv too, which the
// cluster helper empties.
const spawnHooks = globalThis[Symbol.for('process-on-spawn@*:singletonId')]
if (spawnHooks !== undefined) spawnHooks.listeners.length = 0
const PROCESSINFO = /^"?--import=\S*@tapjs\/processinfo\S*$/
const options = (process.env.NODE_OPTIONS ?? '').split(' ').filter(option => option !== '' && !PROCESSINFO.test(option))
if (process.env._TAPJS_PROCESSINFO_COVERAGE_ === '1') options.push(`--import=${new URL('child-coverage.mjs', import.meta.url).href}`)
process.env.NODE_OPTIONS = options.join(' ')
