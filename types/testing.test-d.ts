import Fastify, { type FastifyTypeProvider } from 'fastify'
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import type { BroadcastMessage, BuildErrorInfo, ServerMessage } from './index.js'
import {
  connectLiveReload,
  type ConnectLiveReloadOptions,
  type LiveReloadTestClient,
  type MessageOf,
  type OutcomeMessage
} from './testing.js'

const app = Fastify()
expectType<Promise<LiveReloadTestClient>>(connectLiveReload(app))
expectType<Promise<LiveReloadTestClient>>(connectLiveReload(app, { transport: 'inject', path: '/__lr', timeout: 2000, headers: { origin: 'http://localhost:3000' } }))
expectAssignable<ConnectLiveReloadOptions>({ transport: 'socket' })
expectNotAssignable<ConnectLiveReloadOptions>({ transport: 'tcp' })
expectNotAssignable<ConnectLiveReloadOptions>({ timeout: '2s' })
expectError(connectLiveReload())
expectError(connectLiveReload(app, { port: 3000 }))

// Any instance: a custom logger or type provider changes FastifyInstance's parameters.
interface SomeProvider extends FastifyTypeProvider { validator: unknown, serializer: unknown }
expectType<Promise<LiveReloadTestClient>>(connectLiveReload(Fastify({ logger: true }).withTypeProvider<SomeProvider>()))

const lr = await connectLiveReload(app)
expectType<'inject' | 'socket'>(lr.transport)
expectType<string>(lr.hello.instance)
expectType<readonly ServerMessage[]>(lr.messages)
expectError(lr.messages.push({ type: 'clear' }))

// next narrows to the message of the type awaited
expectType<{ type: 'reload', paths: string[] }>(await lr.next('reload'))
expectType<BuildErrorInfo[]>((await lr.next('error', { timeout: 500 })).errors)
expectType<MessageOf<'css' | 'img'>>(await lr.next(['css', 'img']))
expectError(lr.next('restart'))
expectError(lr.next('reload', { timeout: '1s' }))

expectType<BroadcastMessage[]>(await lr.change('src/index.md', '# Hi'))
expectType<BroadcastMessage[]>(await lr.change('public/logo.png', new Uint8Array([1]), { timeout: 30_000 }))
expectError(lr.change('src/index.md'))
expectType<BroadcastMessage[]>(await lr.trigger(async () => await app.liveReload.build()))
expectType<BuildErrorInfo[] | null>(lr.lastErrors())
expectAssignable<OutcomeMessage>({ type: 'clear' })
expectNotAssignable<OutcomeMessage>({ type: 'building', changes: [] })

lr.send('x')
expectType<{ code: number, reason: string }>(await lr.closed)
expectType<Promise<void>>(lr.close())
