import type { FastifyBaseLogger } from 'fastify'
import { displayRedis } from '../redis-address.js'
import { runShardWorker } from '../builders/sharded/shard-worker.js'
import type { Report } from './report.js'
import type { ShardWorkerArgs } from './shard-worker-args.js'

/**
 * `fastify-livereload shard-worker`: builds shards until Ctrl-C (or SIGTERM), which stops taking
 * new ones, lets the running ones finish and exits 0; a second Ctrl-C exits at once (130), and
 * BullMQ gives those shards to another worker once their locks expire.
 */
export async function shardWorker (args: ShardWorkerArgs, report: Report): Promise<void> {
  let stop = (): void => { process.exit(0) } // before it is connected, nothing runs
  let isStopping = false
  const onSignal = (): void => {
    if (isStopping) process.exit(130)
    isStopping = true
    stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const worker = await runShardWorker({ redis: args.redis, worker: args.worker, name: args.queue, concurrency: args.concurrency, stallTimeout: args.stallTimeout, log: reportLogger(report) })
  stop = () => {
    report.line('stopping: the running shards finish first')
    worker.close().then(() => process.exit(0), (err: unknown) => {
      report.error(`closing failed: ${(err as Error).message}`)
      process.exit(1)
    })
  }
  if (isStopping) stop()
  else report.line(`taking shards from queue "${worker.name}" at ${displayRedis(args.redis)}${args.concurrency === undefined ? '' : `, ${args.concurrency} at a time`} (Ctrl-C stops)`)
}

/** The worker's log lines as the command's lines: its messages are written to be read. */
function reportLogger (report: Report): FastifyBaseLogger {
  const text = (obj: unknown, msg?: string): string => {
    const err = (obj as { err?: Error } | null)?.err
    return err === undefined ? msg ?? String(obj) : `${msg ?? 'failed'}: ${err.message}`
  }
  const ignore = (): void => {}
  const log = {
    level: 'info',
    fatal: (obj: unknown, msg?: string) => { report.error(text(obj, msg)) },
    error: (obj: unknown, msg?: string) => { report.error(text(obj, msg)) },
    warn: (obj: unknown, msg?: string) => { report.warn(text(obj, msg)) },
    info: (obj: unknown, msg?: string) => { report.line(text(obj, msg)) },
    debug: ignore,
    trace: ignore,
    silent: ignore,
    child: () => log
  }
  return log as unknown as FastifyBaseLogger
}
