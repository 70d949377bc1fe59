/** The Redis keys and channels of one site's cluster, all under its `key`. */
export interface ClusterKeys {
  /** The leader's lease: the holder's id, with a time-to-live. */
  readonly lease: string
  /** How many leaders this cluster run has had: 1 is its first. */
  readonly epoch: string
  /** Live processes (a sorted set: id → when it expires, Redis time). */
  readonly members: string
  /** Each live process's browser count (a hash). */
  readonly clients: string
  /** The cluster's instance: the `hello` id browsers compare. */
  readonly instance: string
  /** The last message number. */
  readonly seq: string
  /** The standing `error` message, until a message other than `building` replaces it. */
  readonly error: string
  /** Pub/sub: the protocol messages, numbered, for every process's browsers. */
  readonly messages: string
  /** Pub/sub: build requests and their reports, and lease hand-overs. */
  readonly control: string
}

export function clusterKeys (key: string): ClusterKeys {
  return Object.freeze({
    lease: `${key}:lease`,
    epoch: `${key}:epoch`,
    members: `${key}:members`,
    clients: `${key}:clients`,
    instance: `${key}:instance`,
    seq: `${key}:seq`,
    error: `${key}:error`,
    messages: `${key}:messages`,
    control: `${key}:control`
  })
}
