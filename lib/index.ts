// The package's entry: the plugin on the real clock, timers and files (plugin.ts), its builders
// and its errors.
import { FST_LIVERELOAD_ALREADY_REGISTERED, FST_LIVERELOAD_CHANNEL_CLOSED, FST_LIVERELOAD_CONNECT_FAILED, FST_LIVERELOAD_INVALID_MESSAGE, FST_LIVERELOAD_INVALID_OPTION, FST_LIVERELOAD_LISTEN_FAILED, FST_LIVERELOAD_MISSING_DEPENDENCY, FST_LIVERELOAD_TIMEOUT, FST_LIVERELOAD_WATCH_FAILED, FST_LIVERELOAD_WATCH_LIMIT } from './errors.js'
import { liveReload } from './plugin.js'

export { commandBuilder } from './builders/command.js'
export { runBuilder } from './builders/run.js'
export { isolatedBuilder } from './builders/isolated.js'
export { shardedBuilder } from './builders/sharded/sharded.js'
export { runShardWorker } from './builders/sharded/shard-worker.js'
export const errors = {
  FST_LIVERELOAD_INVALID_OPTION,
  FST_LIVERELOAD_ALREADY_REGISTERED,
  FST_LIVERELOAD_WATCH_FAILED,
  FST_LIVERELOAD_WATCH_LIMIT,
  FST_LIVERELOAD_INVALID_MESSAGE,
  FST_LIVERELOAD_LISTEN_FAILED,
  FST_LIVERELOAD_MISSING_DEPENDENCY,
  FST_LIVERELOAD_CONNECT_FAILED,
  FST_LIVERELOAD_TIMEOUT,
  FST_LIVERELOAD_CHANNEL_CLOSED
}
export { liveReload }
export default liveReload
