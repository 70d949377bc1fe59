import Fastify, { type FastifyTypeProvider } from 'fastify'
import { expectTypeOf } from 'expect-type'
import type { BroadcastMessage, BuildErrorInfo, ServerMessage } from './index.js'
import {
  connectLiveReload,
  type ConnectLiveReloadOptions,
  type LiveReloadTestClient,
  type MessageOf,
  type OutcomeMessage
} from './testing.js'

const app = Fastify()
expectTypeOf(connectLiveReload(app)).toEqualTypeOf<Promise<LiveReloadTestClient>>()
expectTypeOf(connectLiveReload(app, { transport: 'inject', path: '/__lr', timeout: 2000, headers: { origin: 'http://localhost:3000' } })).toEqualTypeOf<Promise<LiveReloadTestClient>>()
;({ transport: 'socket' }) satisfies ConnectLiveReloadOptions
// @ts-expect-error
;({ transport: 'tcp' }) satisfies ConnectLiveReloadOptions
// @ts-expect-error
;({ timeout: '2s' }) satisfies ConnectLiveReloadOptions
// @ts-expect-error
connectLiveReload()
// @ts-expect-error
connectLiveReload(app, { port: 3000 })

// Any instance: a custom logger or type provider changes FastifyInstance's parameters.
interface SomeProvider extends FastifyTypeProvider { validator: unknown, serializer: unknown }
expectTypeOf(connectLiveReload(Fastify({ logger: true }).withTypeProvider<SomeProvider>())).toEqualTypeOf<Promise<LiveReloadTestClient>>()

const lr = await connectLiveReload(app)
expectTypeOf(lr.transport).toEqualTypeOf<'inject' | 'socket'>()
expectTypeOf(lr.hello.instance).toEqualTypeOf<string>()
expectTypeOf(lr.messages).toEqualTypeOf<readonly ServerMessage[]>()
// @ts-expect-error
lr.messages.push({ type: 'clear' })

// next narrows to the message of the type awaited
expectTypeOf(await lr.next('reload')).toEqualTypeOf<{ type: 'reload', paths: string[] }>()
expectTypeOf((await lr.next('error', { timeout: 500 })).errors).toEqualTypeOf<BuildErrorInfo[]>()
expectTypeOf(await lr.next(['css', 'img'])).toEqualTypeOf<MessageOf<'css' | 'img'>>()
// @ts-expect-error
lr.next('restart')
// @ts-expect-error
lr.next('reload', { timeout: '1s' })

expectTypeOf(await lr.change('src/index.md', '# Hi')).toEqualTypeOf<BroadcastMessage[]>()
expectTypeOf(await lr.change('public/logo.png', new Uint8Array([1]), { timeout: 30_000 })).toEqualTypeOf<BroadcastMessage[]>()
// @ts-expect-error
lr.change('src/index.md')
expectTypeOf(await lr.trigger(async () => await app.liveReload.build())).toEqualTypeOf<BroadcastMessage[]>()
expectTypeOf(lr.lastErrors()).toEqualTypeOf<BuildErrorInfo[] | null>()
;({ type: 'clear' }) satisfies OutcomeMessage
// @ts-expect-error
;({ type: 'building', changes: [] }) satisfies OutcomeMessage

lr.send('x')
expectTypeOf(await lr.closed).toEqualTypeOf<{ code: number, reason: string }>()
expectTypeOf(lr.close()).toEqualTypeOf<Promise<void>>()
