// Cost of refusing symlinks that lead out of root (one realpath per request) on static serving.
// Run: npm run build && node bench/static-root-check.js [requests=4000] [rounds=7]
// Compares the default (check on) with `static: { allowedPath: undefined, onFile: undefined }`
// (check off), alternating rounds in one process; prints the median requests/s of each and the
// ratio, plus the cost of the check alone per call. Uses app.inject: no network, so the figure
// is the server's own work per request, where the check weighs most.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import liveReload from '../dist/index.js'
import { createRootCheck } from '../dist/static-policy.js'

const requests = Number(process.argv[2] ?? 4000)
const rounds = Number(process.argv[3] ?? 7)
const dir = mkdtempSync(join(tmpdir(), 'flr-bench-'))
const root = join(dir, 'site')
mkdirSync(join(root, 'a', 'b', 'c'), { recursive: true })
writeFileSync(join(root, 'a', 'b', 'c', 'page.css'), 'body { color: red }\n'.repeat(50))
symlinkSync(join(root, 'a'), join(root, 'linked'))

async function app (checked) {
  const server = Fastify()
  await server.register(liveReload, { root, inject: false, ...(checked ? {} : { static: { allowedPath: undefined, onFile: undefined } }) })
  await server.ready()
  return server
}

async function rate (server) {
  const started = performance.now()
  for (let i = 0; i < requests; i++) {
    const res = await server.inject(i % 2 === 0 ? '/a/b/c/page.css' : '/linked/b/c/page.css')
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
  }
  return requests / ((performance.now() - started) / 1000)
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const on = await app(true)
const off = await app(false)
await rate(on); await rate(off) // warm-up
const rates = { on: [], off: [] }
for (let round = 0; round < rounds; round++) {
  rates.on.push(await rate(on))
  rates.off.push(await rate(off))
}
const check = createRootCheck(root)
const calls = 100_000
const started = performance.now()
for (let i = 0; i < calls; i++) check(join(root, 'linked', 'b', 'c', 'page.css'))
const perCall = (performance.now() - started) * 1000 / calls

console.log(`check off: median ${median(rates.off).toFixed(0)} requests/s  (${rates.off.map(r => r.toFixed(0)).join(', ')})`)
console.log(`check on:  median ${median(rates.on).toFixed(0)} requests/s  (${rates.on.map(r => r.toFixed(0)).join(', ')})`)
console.log(`ratio on/off: ${(median(rates.on) / median(rates.off)).toFixed(3)}; the check alone: ${perCall.toFixed(1)} µs per call`)
await on.close()
await off.close()
rmSync(dir, { recursive: true, force: true })
