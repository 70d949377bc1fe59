// Every option of every built-in builder is checked when the builder is created: a wrong type,
// an out-of-range value or an unknown key throws FST_LIVERELOAD_INVALID_OPTION naming it, before
// anything runs. Pure: no process starts, no build runs.
import t from 'tap'
import type { Builder } from '../../types/index.js'
import { commandBuilder } from '../../lib/builders/command.js'
import { isolatedBuilder } from '../../lib/builders/isolated.js'
import { shardedBuilder } from '../../lib/builders/sharded/sharded.js'

/** Node's timers take at most 2^31 - 1 ms; above it they fire after about 1 ms. */
const TOO_LONG = 2 ** 31
const LONGEST = 2 ** 31 - 1

type Factory = (...args: unknown[]) => Builder
const command = commandBuilder as Factory
const isolated = isolatedBuilder as Factory
const sharded = shardedBuilder as Factory
const SHARDED = { worker: 'w.js', sources: 'src', cache: false }

const invalid: Array<[option: string, factory: Factory, args: unknown[]]> = [
  ['commandBuilder.command', command, ['']],
  ['commandBuilder.command', command, [[]]],
  ['commandBuilder.command', command, [42]],
  ['commandBuilder.options', command, ['x', 5]],
  ['commandBuilder.options', command, ['x', null]],
  ['commandBuilder.options', command, ['x', 'npm run build']],
  ['commandBuilder.timeout', command, ['x', { timeout: TOO_LONG }]],
  ['commandBuilder.timeout', command, ['x', { timeout: 0 }]],
  ['commandBuilder.timeout', command, ['x', { timeout: '1000' }]],
  ['commandBuilder.timeout', command, ['x', { timeout: Infinity }]],
  ['commandBuilder.maxOutput', command, ['x', { maxOutput: 1.5 }]],
  ['commandBuilder.maxOutput', command, ['x', { maxOutput: '64k' }]],
  ['commandBuilder.cwd', command, ['x', { cwd: 3 }]],
  ['commandBuilder.cwd', command, ['x', { cwd: '' }]],
  ['commandBuilder.env', command, ['x', { env: 'a' }]],
  ['commandBuilder.env', command, ['x', { env: 1 }]],
  ['commandBuilder.env', command, ['x', { env: null }]],
  ['commandBuilder.env', command, ['x', { env: ['A=1'] }]],
  ['commandBuilder.env', command, ['x', { env: { A: 1 } }]],
  ['commandBuilder.timout', command, ['x', { timout: 1000 }]],
  ['commandBuilder.shell', command, ['x', { shell: '/bin/bash' }]],

  ['isolatedBuilder.modulePath', isolated, ['']],
  ['isolatedBuilder.modulePath', isolated, [42]],
  ['isolatedBuilder.options', isolated, ['b.js', 5]],
  ['isolatedBuilder.options', isolated, ['b.js', null]],
  ['isolatedBuilder.timeout', isolated, ['b.js', { timeout: TOO_LONG }]],
  ['isolatedBuilder.timeout', isolated, ['b.js', { timeout: -1 }]],
  ['isolatedBuilder.timeout', isolated, ['b.js', { timeout: '30s' }]],
  ['isolatedBuilder.maxMemory', isolated, ['b.js', { maxMemory: 0 }]],
  ['isolatedBuilder.maxMemory', isolated, ['b.js', { maxMemory: '512' }]],
  ['isolatedBuilder.execArgv', isolated, ['b.js', { execArgv: '--a' }]],
  ['isolatedBuilder.execArgv', isolated, ['b.js', { execArgv: [1] }]],
  ['isolatedBuilder.execArgv', isolated, ['b.js', { execArgv: { inspect: true } }]],
  ['isolatedBuilder.env', isolated, ['b.js', { env: 'a' }]],
  ['isolatedBuilder.env', isolated, ['b.js', { env: 1 }]],
  ['isolatedBuilder.env', isolated, ['b.js', { env: { A: true } }]],
  ['isolatedBuilder.cwd', isolated, ['b.js', { cwd: '/tmp' }]],

  ['shardedBuilder.options', sharded, [undefined]],
  ['shardedBuilder.timeout', sharded, [{ ...SHARDED, timeout: TOO_LONG }]],
  ['shardedBuilder.timeout', sharded, [{ ...SHARDED, timeout: '60s' }]],
  ['shardedBuilder.concurrency', sharded, [{ ...SHARDED, concurrency: 1.5 }]],
  ['shardedBuilder.shards', sharded, [{ ...SHARDED, shards: 0 }]],
  ['shardedBuilder.maxMemory', sharded, [{ ...SHARDED, maxMemory: -1 }]],
  ['shardedBuilder.execArgv', sharded, [{ ...SHARDED, execArgv: '--a' }]],
  ['shardedBuilder.execArgv', sharded, [{ ...SHARDED, execArgv: [1] }]],
  ['shardedBuilder.env', sharded, [{ ...SHARDED, env: { A: '1' } }]],
  ['shardedBuilder.cwd', sharded, [{ ...SHARDED, cwd: '' }]],
  ['shardedBuilder.prune', sharded, [{ ...SHARDED, prune: 'yes' }]]
]

for (const [option, factory, args] of invalid) {
  t.test(`${option}: rejects ${JSON.stringify(args.at(-1)) ?? 'undefined'}`, async t => {
    t.throws(() => factory(...args), {
      code: 'FST_LIVERELOAD_INVALID_OPTION',
      name: 'FastifyError',
      message: new RegExp(`option "${option.replace('.', '\\.')}"`)
    })
  })
}

const valid: Array<[what: string, factory: Factory, args: unknown[]]> = [
  ['commandBuilder, no options', command, ['x']],
  ['commandBuilder, the longest timeout a timer takes', command, ['x', { timeout: LONGEST }]],
  ['commandBuilder, env with an unset variable', command, ['x', { env: { A: '1', B: undefined } }]],
  ['commandBuilder, every option', command, [['x', 'y'], { cwd: '.', env: {}, timeout: 1000, maxOutput: 1 }]],
  ['isolatedBuilder, the longest timeout a timer takes', isolated, ['b.js', { timeout: LONGEST }]],
  ['isolatedBuilder, every option', isolated, ['b.js', { timeout: 1000, maxMemory: 64, execArgv: ['--enable-source-maps'], env: { A: '1', B: undefined } }]],
  ['shardedBuilder, the longest timeout a timer takes', sharded, [{ ...SHARDED, timeout: LONGEST }]]
]

for (const [what, factory, args] of valid) {
  t.test(`accepts ${what}`, async t => {
    const builder = factory(...args)
    t.teardown(() => builder.close?.())
    t.type(builder.build, 'function')
  })
}
