// Patch instead of reload: when a change is to this page's HTML alone, the page fetches itself
// and morphs its body into the new one, keeping scroll, focus, selection, typed input and every
// script's state. Whatever makes that uncertain reloads the page instead.
import { hideOverlay } from '../overlay.js'
import { log } from '../log.js'
import { reload, usePatcher } from '../reload.js'
import { fetchPage } from './fetch-page.js'
import { whyNotPatch } from './compare.js'
import { applyPage } from './apply.js'
import { watchScripts } from './touched.js'

export function startPatching (): void {
  const touched = watchScripts()
  usePatcher((reason, isCurrent) => {
    const url = location.href.replace(/#.*/, '')
    fetchPage(url).then(next => {
      if (!isCurrent()) return // a newer change came meanwhile: its own patch, of the final content, follows
      const problem = typeof next === 'string' ? next : touched.why() ?? whyNotPatch(document, next)
      if (problem !== null) return reload(`${reason} (not patched: ${problem})`)
      try {
        applyPage(next as Document)
      } catch (err) {
        return reload(`${reason} (the patch failed: ${String(err)})`)
      } finally {
        touched.forget() // the patch's own changes to the page
      }
      hideOverlay() // as a reload would (the `reload` message hid it already: a patch does not bring it back)
      log(`patched: ${reason}`)
    }, (err: unknown) => reload(`${reason} (not patched: ${String(err)})`))
  })
}
