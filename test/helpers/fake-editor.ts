// An editor that records how it was started: LAUNCH_EDITOR points at a shell script in a temp
// dir that writes its arguments (one a line) to a file of its own, renamed into place whole.
// launch-editor starts an editor it does not know (this one) as `editor file line column`.
import { mkdtempSync, realpathSync, rmSync, watch } from 'node:fs'
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

export interface FakeEditor {
  /** The script: set as LAUNCH_EDITOR for the test. */
  path: string
  /** The arguments of the next start (of one not yet seen): start waiting before acting. */
  nextOpen (timeoutMs?: number): Promise<string[]>
  /** The arguments of every start so far. */
  opens (): Promise<string[][]>
}

/** A fake editor, set as LAUNCH_EDITOR (VISUAL and EDITOR unset) until `t` ends. */
export function fakeEditor (t: Test): FakeEditor {
  // Not the test's fixture directory (a test has one): a temp dir of its own.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'fake-editor-')))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'fake-editor')
  const script = `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/tmp-$$"\nmv "${dir}/tmp-$$" "${dir}/opened-$$"\n`
  const ready = writeFile(path, script).then(() => chmod(path, 0o755))
  const saved = { LAUNCH_EDITOR: process.env.LAUNCH_EDITOR, VISUAL: process.env.VISUAL, EDITOR: process.env.EDITOR }
  process.env.LAUNCH_EDITOR = path
  delete process.env.VISUAL
  delete process.env.EDITOR
  t.teardown(() => { for (const [name, value] of Object.entries(saved)) value === undefined ? delete process.env[name] : process.env[name] = value })
  const seen = new Set<string>()
  const read = async (name: string): Promise<string[]> => (await readFile(join(dir, name), 'utf8')).split('\n').slice(0, -1)
  return {
    path,
    nextOpen: async (timeoutMs = 10_000) => {
      await ready
      return await new Promise<string[]>((resolve, reject) => {
        const watcher = watch(dir)
        const timer = setTimeout(() => finish(new Error(`the fake editor was not started within ${timeoutMs} ms`)), timeoutMs)
        const finish = (err: Error | null, args?: string[]): void => {
          clearTimeout(timer)
          watcher.close()
          if (err === null) resolve(args!)
          else reject(err)
        }
        // Looked for on every event in the directory, and once now (it may be there already).
        const look = async (): Promise<void> => {
          const name = (await readdir(dir)).find(entry => entry.startsWith('opened-') && !seen.has(entry))
          if (name === undefined) return
          seen.add(name)
          finish(null, await read(name))
        }
        watcher.on('change', () => { look().catch(finish) })
        watcher.on('error', finish)
        look().catch(finish)
      })
    },
    opens: async () => await Promise.all((await readdir(dir)).filter(entry => entry.startsWith('opened-')).map(read))
  }
}
