import { expectError, expectType } from 'tsd'
import { keep, type Keeper } from './keep.js'

expectType<void>(keep('sessions', { save: () => new Map<string, { user: string }>(), restore: saved => { expectType<Map<string, { user: string }>>(saved) } }))
expectType<void>(keep('count', { save: async () => 1, restore: async (saved: number) => { await Promise.resolve(saved) } }))
const keeper: Keeper<string[]> = { save: () => [], restore: () => {} }
keep('list', keeper)
expectError(keep('count', { save: () => 1 }))
expectError(keep(1, { save: () => 1, restore: () => {} }))
