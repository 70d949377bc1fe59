// Patch instead of reload: when a change is to this page's HTML alone, the page fetches itself
// and morphs its body into the new one, keeping scroll, focus, selection, typed input and every
// script's state. Whatever makes that uncertain reloads the page instead, and so does anything
// that throws on the way: never a stale page.
import { log } from '../log.js'
import { reload, usePatcher } from '../reload.js'
import { applyPage } from './apply.js'
import { whyNotPatch } from './compare.js'
import { fetchPage } from './fetch-page.js'
import { watchScripts, type Touched } from './touched.js'

export function startPatching (): void {
  const touched = watchScripts()
  usePatcher(async (reason, isCurrent) => {
    await patchPage(touched, isCurrent).then(problem => {
      // The overlay went with the `reload` message, as before a reload; an error that came since
      // stays: a patch keeps the connection, so no `hello` would bring it back.
      if (problem === null) log(`patched: ${reason}`)
      else if (problem !== undefined) reload(`${reason} (not patched: ${problem})`)
    }, (err: unknown) => reload(`${reason} (the patch failed: ${String(err)})`))
  })
}

/**
 * Brings the page up to date from its own URL: resolves to null once patched, to why it cannot
 * be, or to undefined when a newer change came during the fetch (its own patch, of the final
 * content, follows). Rejects when the patch fails half-way.
 */
async function patchPage (touched: Touched, isCurrent: () => boolean): Promise<string | null | undefined> {
  const next = await fetchPage(location.href.replace(/#.*/, ''))
  if (!isCurrent()) return undefined
  if (typeof next === 'string') return next
  const problem = touched.why() ?? whyNotPatch(document, next)
  if (problem !== null) return problem
  try {
    applyPage(next)
  } finally {
    touched.forget() // the patch's own changes to the page
  }
  return null
}
