import type { BuildResult } from '../metrics.js'

/**
 * What the pipeline reports as it goes, for whoever observes it (the metrics, tests). Times are
 * the world's clock (World.now). Builds never overlap, so a build's events need no id; output
 * flushes are hashed before their message and may overlap, so theirs carry one.
 */
export type PipelineEvent =
  /** The watcher reported changes of the sources, or of the output directory. */
  | { readonly type: 'pushed', readonly tree: 'sources' | 'outputs', readonly at: number }
  /** The sources' changes went quiet: queued for a build, or (no builder) answered at once. */
  | { readonly type: 'sources-quiet', readonly isQueued: boolean }
  /** The output directory's changes went quiet: flush `id`, whose message, if any, follows. */
  | { readonly type: 'outputs-quiet', readonly id: number }
  /** A build took every queued change. */
  | { readonly type: 'build-started' }
  /** It was superseded: its changes go back to the queue. */
  | { readonly type: 'build-superseded' }
  /** The output directory's writes of a build are in: its message answers them. */
  | { readonly type: 'outputs-settled' }
  | { readonly type: 'build-ended', readonly result: BuildResult, readonly ms: number }
  /** A message went to the browsers, answering the sources' changes or a build. */
  | { readonly type: 'sent', readonly message: string, readonly answers: 'sources' | 'build' }
  /** Output flush `id` was answered by a message, or by none (nothing differed). */
  | { readonly type: 'outputs-answered', readonly id: number, readonly message: string | null }

export type PipelineObserver = (event: PipelineEvent) => void
