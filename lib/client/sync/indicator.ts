// A small notice in a corner that this tab is synchronized with the others on its page; its ×
// hides it for the rest of the tab's session. Never mirrored itself (data-no-sync).
import STYLES from './indicator.css'
import { showHost } from '../shadow.js'
import { store, stored } from './storage.js'

const TAG = 'livereload-sync'
const DISMISSED_KEY = 'livereload:sync:dismissed'

export function showIndicator (): void {
  if (stored(DISMISSED_KEY) !== null) return
  const root = showHost(TAG, STYLES)
  const indicator = root.host as HTMLElement
  indicator.dataset.noSync = ''
  const label = document.createElement('span')
  label.textContent = '⇄ synchronized'
  label.title = 'Scrolling, clicks, forms and navigation here are repeated in the other tabs on this page (fastify-livereload sync)'
  const close = document.createElement('button')
  close.textContent = '×'
  close.setAttribute('aria-label', 'Hide the synchronized-browsing notice')
  close.addEventListener('click', () => {
    indicator.remove()
    store(DISMISSED_KEY, '1') // storage disabled: hidden on this page only
  })
  root.append(label, close)
}
