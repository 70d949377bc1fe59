import type { BuildErrorInfo } from '../../types/index.js'
import { removeAll, showHost } from './shadow.js'
import STYLES from './overlay.css'

const TAG = 'livereload-overlay'
/**
 * The module that makes the overlay's places links to the editor (editor/index.ts, served beside
 * this script): imported when errors show, so the client stays small. A classic script's import()
 * resolves against the script's own URL, `{path}/client.js`. Not a literal, which the bundler
 * would try to bundle.
 */
const EDITOR = './editor.js'

/** Shows the errors of a failed build over the page. Text goes through textContent only. */
export function showOverlay (errors: BuildErrorInfo[]): void {
  const root = showHost(TAG, STYLES)
  const section = element('section')
  section.append(element('h1', errors.length === 1 ? 'Build failed' : `Build failed: ${errors.length} errors`))
  for (const error of errors) {
    const where = [error.file, error.line, error.column].filter(part => part !== undefined).join(':')
    if (where !== '') section.append(element('h2', where))
    section.append(element('pre', error.message))
    if (error.frame !== undefined) section.append(element('pre', error.frame, 'frame'))
  }
  section.append(element('p', 'Save a fix to update the page; Esc closes this.'))
  section.addEventListener('click', event => event.stopPropagation())
  root.append(section)
  // Its places become links where the server has the route: the module finds the overlay itself.
  import(EDITOR).catch(() => {})
  root.host.addEventListener('click', hideOverlay)
  // Added once however often this runs (the same listener), and left: with no overlay it does nothing.
  document.addEventListener('keydown', onKeydown)
}

export function hideOverlay (): void {
  removeAll(TAG)
}

function onKeydown (event: KeyboardEvent): void {
  if (event.key === 'Escape') hideOverlay()
}

function element (tag: string, text = '', className = ''): HTMLElement {
  const el = document.createElement(tag)
  el.textContent = text
  el.className = className
  return el
}
