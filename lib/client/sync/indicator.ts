// A small notice in a corner that this tab is synchronized with the others on its page; its ×
// hides it for the rest of the tab's session. Never mirrored itself (data-no-sync).
import STYLES from './indicator.css'
import { shadowHost } from '../shadow.js'

const TAG = 'livereload-sync'
const DISMISSED_KEY = 'livereload:sync:dismissed'

export function showIndicator (): void {
  if (isDismissed()) return
  const [indicator, root] = shadowHost(TAG, STYLES)
  indicator.dataset.noSync = ''
  const label = document.createElement('span')
  label.textContent = '⇄ synchronized'
  label.title = 'Scrolling, clicks, forms and navigation here are repeated in the other tabs on this page (fastify-livereload sync)'
  const close = document.createElement('button')
  close.textContent = '×'
  close.setAttribute('aria-label', 'Hide the synchronized-browsing notice')
  close.addEventListener('click', () => {
    indicator.remove()
    try {
      sessionStorage.setItem(DISMISSED_KEY, '1')
    } catch { /* storage disabled: hidden on this page only */ }
  })
  root.append(label, close)
  document.documentElement.append(indicator)
}

function isDismissed (): boolean {
  try {
    return sessionStorage.getItem(DISMISSED_KEY) !== null
  } catch {
    return false
  }
}
