import { once } from 'node:events'
import { Worker } from 'node:worker_threads'

/**
 * Writes `files` ([path, content] pairs) from another thread, synchronously and as fast as it
 * can, the way git, tar or a generator in another process do: the test's event loop (and the
 * plugin's) stays free meanwhile. `waves` splits the writes in that many parts with `pauseMs`
 * between them.
 */
export async function writeFromThread (files: ReadonlyArray<readonly [string, string]>, { waves = 1, pauseMs = 0 } = {}): Promise<void> {
  const worker = new Worker(`
    const { workerData: { files, waves, pauseMs } } = require('node:worker_threads')
    const { writeFileSync } = require('node:fs')
    const size = Math.ceil(files.length / waves)
    for (let wave = 0; wave < waves; wave++) {
      if (wave > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs)
      for (const [file, content] of files.slice(wave * size, (wave + 1) * size)) writeFileSync(file, content)
    }`, { eval: true, workerData: { files, waves, pauseMs } })
  const [code] = await once(worker, 'exit') as [number]
  if (code !== 0) throw new Error(`the writer thread exited with code ${code}`)
}
