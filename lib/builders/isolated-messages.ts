// What the isolated builder's parent and child say to each other over IPC, typed once for both.
import type { BuildOutcome, FileChange } from '../../types/index.js'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']

/** From the parent (isolated.ts) to the child (isolated-child.ts). */
export type ParentMessage =
  | { type: 'build', id: number, changes: FileChange[], full: boolean }
  | { type: 'abort', id: number }
  | { type: 'close' }

/** From the child to the parent, always about one build. */
export type ChildMessage =
  | { type: 'result', id: number, outcome: BuildOutcome }
  | { type: 'log', id: number, level: LogLevel, obj: object, msg?: string }
