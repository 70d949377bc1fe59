// tap runs the tests with this loader (see .taprc): TypeScript is transpiled by esbuild, file by
// file, instead of ts-node, which loads the TypeScript compiler into every test process.
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
