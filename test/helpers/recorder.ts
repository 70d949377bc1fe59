import { EventEmitter, once } from 'node:events'

/** Records what is passed to `add`; `next()` resolves with the next value (start waiting before acting). */
export function recorder<T> () {
  const events = new EventEmitter()
  const all: T[] = []
  return {
    all,
    add: (value: T): void => { all.push(value); events.emit('value', value) },
    next: async (): Promise<T> => (await once(events, 'value'))[0] as T
  }
}
