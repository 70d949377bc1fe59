import type { FastifyInstance } from 'fastify'
import { expectTypeOf } from 'expect-type'
import { dev, type DevOptions, type DevServer } from './dev.js'
import { commandBuilder } from './index.js'

expectTypeOf(dev({ entry: 'app.js' })).toEqualTypeOf<Promise<DevServer>>()
expectTypeOf(dev({ entry: 'app.ts', port: 0, host: '::1', logger: true, root: 'public', watch: ['src'], builder: commandBuilder('npm run css') })).toEqualTypeOf<Promise<DevServer>>()
;({ entry: './app.js', ignore: ['**/*.log', /\.sqlite$/] }) satisfies DevOptions
// @ts-expect-error
;({ port: 3000 }) satisfies DevOptions
// @ts-expect-error
;({ entry: 'app.js', port: '3000' }) satisfies DevOptions
;({ entry: 'app.js', logLevel: 'info', prettyLogs: true }) satisfies DevOptions
// @ts-expect-error
;({ entry: 'app.js', logLevel: 'verbose' }) satisfies DevOptions
// @ts-expect-error
dev()

declare const server: DevServer
expectTypeOf(server.url).toEqualTypeOf<string>()
expectTypeOf(server.app).toEqualTypeOf<FastifyInstance>()
expectTypeOf(server.close()).toEqualTypeOf<Promise<void>>()
