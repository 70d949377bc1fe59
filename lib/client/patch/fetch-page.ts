/** How long the page's own request may take before the page reloads instead (ms). */
const FETCH_TIMEOUT_MS = 10_000

/**
 * The page at `url` as a document, parsed by the browser without running its scripts nor loading
 * its images: an XMLHttpRequest for a document, which Trusted Types does not gate (where
 * DOMParser.parseFromString needs a TrustedHTML under `require-trusted-types-for 'script'`).
 * One request, past the cache (`no-cache`); a string says why there is no document: a network
 * error, a status that is not 200, a redirect, a response that is not HTML.
 */
export async function fetchPage (url: string): Promise<Document | string> {
  return await new Promise(resolve => {
    const xhr = new XMLHttpRequest()
    xhr.open('GET', url)
    xhr.responseType = 'document'
    xhr.timeout = FETCH_TIMEOUT_MS
    xhr.setRequestHeader('cache-control', 'no-cache')
    xhr.onload = () => {
      const type = xhr.getResponseHeader('content-type') ?? ''
      if (xhr.status !== 200) resolve(`the page answered ${xhr.status}`)
      else if (xhr.responseURL !== url) resolve(`the page moved to ${xhr.responseURL}`)
      else if (!/^text\/html\s*(?:;|$)/i.test(type) || xhr.responseXML === null) resolve(`the page is ${type === '' ? 'of no type' : type}, not HTML`)
      else resolve(xhr.responseXML)
    }
    xhr.onerror = xhr.ontimeout = xhr.onabort = () => resolve('the page could not be fetched')
    xhr.send()
  })
}
