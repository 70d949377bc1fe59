import type { FastifyInstance } from 'fastify'
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import { dev, type DevOptions, type DevServer } from './dev.js'
import { commandBuilder } from './index.js'

expectType<Promise<DevServer>>(dev({ entry: 'app.js' }))
expectType<Promise<DevServer>>(dev({ entry: 'app.ts', port: 0, host: '::1', logger: true, root: 'public', watch: ['src'], builder: commandBuilder('npm run css') }))
expectAssignable<DevOptions>({ entry: './app.js', ignore: ['**/*.log', /\.sqlite$/] })
expectNotAssignable<DevOptions>({ port: 3000 })
expectNotAssignable<DevOptions>({ entry: 'app.js', port: '3000' })
expectAssignable<DevOptions>({ entry: 'app.js', logLevel: 'info', prettyLogs: true })
expectNotAssignable<DevOptions>({ entry: 'app.js', logLevel: 'verbose' })
expectError(dev())

declare const server: DevServer
expectType<string>(server.url)
expectType<FastifyInstance>(server.app)
expectType<Promise<void>>(server.close())
