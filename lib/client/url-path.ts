// URL paths in one form, so that a message's paths and the page's own compare equal however
// each side spelled them: the server sends canonical paths (`/%5Bid%5D.html`, `/q&a.html`),
// while `location.pathname` keeps what the page was opened with (`/[id].html`, or
// `/%5Bid%5D.html`, or `/q%26a.html` for a route that decodes its parameters).

const ESCAPES = /(?:%[\da-f]{2})+/gi

/** `path` with every run of percent-escapes decoded as UTF-8; a run that is not UTF-8, and a lone `%`, stay as they are. */
export function decodePath (path: string): string {
  return path.replace(ESCAPES, run => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}
