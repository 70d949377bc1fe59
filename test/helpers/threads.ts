/**
 * Takes tap's process tracker (@tapjs/processinfo) out of NODE_OPTIONS, for a test file that
 * starts worker threads and no child process of interest. tap puts it there for child
 * processes, but a worker thread loads NODE_OPTIONS' `--import` too: each thread then loads it
 * again, about 0.3 s of CPU per thread (twice the cost of the thread itself), and reports
 * nothing, since tap's coverage report receives no coverage from threads. The threads still run
 * the built worker entry, with whatever execArgv the test gives them.
 */
export function withoutTrackerInThreads (): void {
  const options = process.env.NODE_OPTIONS
  if (options === undefined) return
  process.env.NODE_OPTIONS = options.replace(/"?--import=\S*@tapjs\/processinfo\/\S*?"?(?=\s|$)/g, '').trim()
}
