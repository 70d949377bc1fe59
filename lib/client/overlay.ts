import type { BuildErrorInfo } from '../../types/index.js'

const TAG = 'livereload-overlay'

// Styles live in the shadow root as a constructed sheet: invisible to the page's CSS, and not
// an inline <style> that a strict style-src policy would block.
const STYLES = `
:host { position: fixed; inset: 0; z-index: 2147483647; display: flex; align-items: flex-start;
  justify-content: center; padding: 5vh 1rem; background: rgb(0 0 0 / 0.66); overflow: auto;
  font: 14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; cursor: pointer }
section { max-width: 60rem; width: 100%; background: #1e1e1e; color: #eee; border-top: 4px solid #e5484d;
  border-radius: 6px; padding: 1rem 1.5rem; box-shadow: 0 10px 40px rgb(0 0 0 / 0.5); cursor: auto }
h1 { font-size: 1rem; margin: 0 0 1rem; color: #ff8589 }
h2 { font-size: 0.9rem; margin: 1rem 0 0.25rem; color: #8ab4f8; font-weight: normal }
pre { margin: 0; white-space: pre-wrap; word-break: break-word }
pre.frame { margin-top: 0.5rem; padding: 0.5rem; background: #111; border-radius: 4px; overflow-x: auto; white-space: pre }
p { margin: 1rem 0 0; color: #999; font-size: 0.8rem }`

let styles: CSSStyleSheet | undefined

/** Shows the errors of a failed build over the page. Text goes through textContent only. */
export function showOverlay (errors: BuildErrorInfo[]): void {
  hideOverlay()
  if (customElements.get(TAG) === undefined) customElements.define(TAG, class extends HTMLElement {})
  const overlay = document.createElement(TAG)
  const root = overlay.attachShadow({ mode: 'open' })
  if (styles === undefined) {
    styles = new CSSStyleSheet()
    styles.replaceSync(STYLES)
  }
  root.adoptedStyleSheets = [styles]
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
  for (const overlay of document.querySelectorAll(TAG)) overlay.remove()
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
