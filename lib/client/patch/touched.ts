// Whether the page's own scripts (or the user, through them) have changed what the body shows
// since the client started: a menu opened, a list rendered, a class toggled. A patch would put
// the server's markup back over those changes and the scripts would not run again to redo them,
// so such a page reloads instead. Changes made before the client started (a script that runs
// while the page parses) are not seen; typing, scrolling and selecting change no markup.

export interface Touched {
  /** Why the page cannot be patched, or null: nothing has changed the body's markup. */
  why (): string | null
  /** Forgets the changes made so far (the patch's own). */
  forget (): void
}

export function watchScripts (): Touched {
  let isTouched = false
  const observer = new MutationObserver(() => { isTouched = true })
  const observe = (): void => observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true })
  if (document.body !== null) observe()
  else addEventListener('DOMContentLoaded', observe)
  return {
    why: () => isTouched || observer.takeRecords().length > 0 ? 'a script changed the page since it loaded' : null,
    forget: () => {
      observer.takeRecords()
      isTouched = false
    }
  }
}
