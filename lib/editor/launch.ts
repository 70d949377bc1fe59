// Opens a file in the person's editor through launch-editor, which picks the editor from
// LAUNCH_EDITOR, the editors running (`ps x`; on Windows, the process list), then VISUAL and
// EDITOR, and starts it with child_process.spawn(editor, args): no shell, outside Windows (see
// docs/security.md). The file is a real path the route has checked.
import type { FastifyBaseLogger } from 'fastify'
import { displayPath } from '../paths.js'
import { refusal, type EditorRefusal } from './open-request.js'

/**
 * Starts the editor at `file:line:column`; null once it has started. launch-editor reports a
 * missing editor at once, and an editor that cannot be started (ENOENT) on the next tick: both
 * are known after one turn of the event loop. An editor that exits with an error later is a log line.
 */
export async function openInEditor (file: string, line: number, column: number, log: FastifyBaseLogger): Promise<EditorRefusal | null> {
  const { default: launchEditor } = await import('launch-editor') // on the first click, not in every start
  let failure: string | null | undefined
  let isAnswered = false
  // The column always: launch-editor reads the place from the end of the string, so a file whose
  // name ends in ":5" followed by a line alone would lose its name's end.
  launchEditor(`${file}:${line}:${column}`, (_file, message) => {
    if (!isAnswered) failure = message
    else log.warn({ file: displayPath(file), reason: message }, `the editor exited with an error: ${String(message)}`)
  })
  await new Promise(resolve => setImmediate(resolve))
  isAnswered = true
  if (failure === undefined) return null
  if (failure === null) {
    log.warn({ file: displayPath(file) }, `cannot open ${displayPath(file)} in the editor: no editor found (set LAUNCH_EDITOR, VISUAL or EDITOR)`)
    return refusal('no-editor', 'no editor found: set LAUNCH_EDITOR (or VISUAL, or EDITOR) to your editor\'s command, such as LAUNCH_EDITOR=code, and restart the server', 409)
  }
  log.warn({ file: displayPath(file), reason: failure }, `cannot open ${displayPath(file)} in the editor: ${failure}`)
  return refusal('editor-failed', `the editor did not start: ${failure}`, 500)
}
