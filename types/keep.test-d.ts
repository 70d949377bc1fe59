import { expectTypeOf } from 'expect-type'
import { keep, type Keeper } from './keep.js'

expectTypeOf(keep('sessions', { save: () => new Map<string, { user: string }>(), restore: saved => { expectTypeOf(saved).toEqualTypeOf<Map<string, { user: string }>>() } })).toEqualTypeOf<void>()
expectTypeOf(keep('count', { save: async () => 1, restore: async (saved: number) => { await Promise.resolve(saved) } })).toEqualTypeOf<void>()
const keeper: Keeper<string[]> = { save: () => [], restore: () => {} }
keep('list', keeper)
// @ts-expect-error
keep('count', { save: () => 1 })
// @ts-expect-error
keep(1, { save: () => 1, restore: () => {} })
