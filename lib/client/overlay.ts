import type { BuildErrorInfo } from '../../types/index.js'
import { enableEditorLinks } from './editor-links.js'
import { removeAll, showHost } from './shadow.js'
import STYLES from './overlay.css'

const TAG = 'livereload-overlay'

/** Shows the errors of a failed build over the page. Text goes through textContent only. */
export function showOverlay (errors: BuildErrorInfo[]): void {
  const root = showHost(TAG, STYLES)
  const section = element('section')
  section.append(element('h1', errors.length === 1 ? 'Build failed' : `Build failed: ${errors.length} errors`))
  for (const error of errors) {
    const where = [error.file, error.line, error.column].filter(part => part !== undefined).join(':')
    if (where !== '') section.append(place(where, error))
    section.append(element('pre', error.message))
    if (error.frame !== undefined) section.append(element('pre', error.frame, 'frame'))
  }
  section.append(element('p', 'Fix the error and save: the page updates. Esc or a click outside closes this.'))
  section.addEventListener('click', event => event.stopPropagation())
  root.append(section)
  enableEditorLinks(section)
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

/** `file:line:column`, a link to the editor once the server's token is here (editor-links.ts). */
function place (where: string, { file, line, column }: BuildErrorInfo): HTMLElement {
  const heading = element('h2')
  if (file === undefined || line === undefined) {
    heading.textContent = where
    return heading
  }
  const link = element('a', where) as HTMLAnchorElement
  link.dataset.livereloadFile = file
  link.dataset.livereloadLine = String(line)
  if (column !== undefined) link.dataset.livereloadColumn = String(column)
  link.title = 'Open in your editor'
  heading.append(link)
  return heading
}

function element (tag: string, text = '', className = ''): HTMLElement {
  const el = document.createElement(tag)
  el.textContent = text
  el.className = className
  return el
}
