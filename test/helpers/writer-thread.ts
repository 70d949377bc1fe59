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

/**
 * Saves `file` every `everyMs` from another thread by write-then-rename ("edit 0", "edit 1", …),
 * as a person's editor in another process does: its pace owes nothing to the test's event loop,
 * which is also the plugin's. After each save `isDone(saves)` says whether to stop; it stops at
 * `maxSaves` anyway. Resolves with how many it saved.
 */
export async function saveFromThread (file: string, everyMs: number, maxSaves: number, isDone: (saves: number) => boolean): Promise<number> {
  const worker = new Worker(`
    const { workerData: { file, everyMs, maxSaves }, parentPort } = require('node:worker_threads')
    const { renameSync, writeFileSync } = require('node:fs')
    let saves = 0
    let timer
    let isStopped = false
    const stop = () => {
      if (isStopped) return
      isStopped = true
      clearTimeout(timer)
      parentPort.postMessage({ done: saves })
      parentPort.close()
    }
    const next = () => {
      timer = setTimeout(() => {
        writeFileSync(file + '.tmp~', 'edit ' + saves)
        renameSync(file + '.tmp~', file)
        parentPort.postMessage({ saved: ++saves })
        if (saves === maxSaves) stop()
        else next()
      }, everyMs)
    }
    parentPort.on('message', stop)
    next()`, { eval: true, execArgv: [], workerData: { file, everyMs, maxSaves } })
  try {
    return await new Promise<number>((resolve, reject) => {
      worker.on('message', (said: { saved?: number, done?: number }) => {
        if (said.done !== undefined) resolve(said.done)
        else if (said.saved !== undefined && isDone(said.saved)) worker.postMessage('stop')
      })
      worker.on('error', reject)
      worker.on('exit', () => { reject(new Error('the saving thread ended without saying how many it saved')) })
    })
  } finally {
    await worker.terminate()
  }
}
