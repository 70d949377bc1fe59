import type { BuildErrorInfo } from '../../types/index.js'
import { removeAll, shadowHost } from './shadow.js'
import STYLES from './overlay.css'

const TAG = 'livereload-overlay'

/** Shows the errors of a failed build over the page. Text goes through textContent only. */
export function showOverlay (errors: BuildErrorInfo[]): void {
  hideOverlay()
  const [overlay, root] = shadowHost(TAG, STYLES)
  const section = element('section')
  section.append(element('h1', errors.length === 1 ? 'Build failed' : `Build failed: ${errors.length} errors`))
  for (const error of errors) {
    const where = [error.file, error.line, error.column].filter(part => part !== undefined).join(':')
    if (where !== '') section.append(element('h2', where))
    section.append(element('pre', error.message))
    if (error.frame !== undefined) section.append(element('pre', error.frame, 'frame'))
  }
  section.append(element('p', 'Fix the error and save: the page updates. Esc or a click outside closes this.'))
  section.addEventListener('click', event => event.stopPropagation())
  root.append(section)
  overlay.addEventListener('click', hideOverlay)
  document.addEventListener('keydown', onKeydown)
  document.documentElement.append(overlay)
}

export function hideOverlay (): void {
  document.removeEventListener('keydown', onKeydown)
  removeAll(TAG)
}

function onKeydown (event: KeyboardEvent): void {
  if (event.key === 'Escape') hideOverlay()
}

function element (tag: string, text = '', className = ''): HTMLElement {
  const el = document.createElement(tag)
  el.textContent = text
  if (className !== '') el.className = className
  return el
}
