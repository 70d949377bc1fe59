/**
 * A machine's transitions as a table: for each phase, the events it accepts and the phase each
 * leads to. An event a phase does not list is an impossible transition, and an error, never a
 * silent reassignment. The tables are drawn in docs/ (coalescing.md, architecture.md), and
 * test/unit/machines.test.ts checks each drawing against its table.
 */
export type Transitions<P extends string, E extends string> = {
  readonly [phase in P]: { readonly [event in E]?: P }
}

export class ImpossibleTransition extends Error {
  constructor (machine: string, phase: string, event: string) {
    super(`${machine}: no transition for ${event} in phase ${phase}`)
    this.name = 'ImpossibleTransition'
  }
}

/** Who hears each transition taken (the tests, to show every one is exercised); null: nobody. */
export type Tracer = (machine: string, from: string, event: string, to: string) => void
let tracer: Tracer | null = null

/** Sets who hears each transition taken, in this process; null stops. */
export function traceTransitions (next: Tracer | null): void {
  tracer = next
}

/** The phase `event` leads to from `phase`, by `table`; throws where the table has none. */
export function transition<P extends string, E extends string> (machine: string, table: Transitions<P, E>, phase: P, event: E): P {
  const next = table[phase][event]
  if (next === undefined) throw new ImpossibleTransition(machine, phase, event)
  tracer?.(machine, phase, event, next)
  return next
}

/** Every transition of `table`, as `from --event--> to` triples (for the drawings' test). */
export function edges<P extends string, E extends string> (table: Transitions<P, E>): Array<[P, E, P]> {
  const all: Array<[P, E, P]> = []
  for (const from of Object.keys(table) as P[]) {
    for (const [event, to] of Object.entries(table[from]) as Array<[E, P]>) all.push([from, event, to])
  }
  return all
}
