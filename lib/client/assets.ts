// Swapping stylesheets and images in place, without reloading the page.
import { matchSheets } from './match.js'
import { decodePath } from './url-path.js'

const BUST_PARAM = 'livereload'
/** Links on their way out: a second swap must not pick them up again. */
const leaving = new WeakSet<HTMLLinkElement>()

/**
 * Swaps each `<link rel=stylesheet>` whose sheet, or a sheet it `@import`s, changed. `changed`
 * are URL paths, each matching the sheets at that path: all of them are swapped when none
 * matches (the change may sit behind a cross-origin or inline sheet). With `isFiles` they are
 * file paths, whose URLs are unknown: each matches the sheets whose URL ends with the most of
 * its names (its own name at least, as browser-sync matches); false, and nothing swapped, when
 * none matches. The new link is inserted beside the old one, which is removed once the new one
 * has loaded: no flash of unstyled content.
 */
export function swapStylesheets (changed: string[], isFiles?: boolean): boolean {
  const links = [...document.querySelectorAll<HTMLLinkElement>('link[rel~="stylesheet"][href]')]
    .filter(link => !leaving.has(link))
  const matching = matchSheets(changed.map(decodePath), links, link => sheetPaths(link.href, link.sheet), isFiles)
  if (isFiles && matching.size === 0) return false
  for (const link of matching.size > 0 ? matching : links) {
    const clone = link.cloneNode() as HTMLLinkElement
    clone.href = bust(link.href)
    leaving.add(link)
    // Either event ends the old link; removing it twice does nothing.
    const done = (): void => link.remove()
    clone.addEventListener('load', done)
    clone.addEventListener('error', done)
    link.after(clone)
  }
  return true
}

/** The paths of `sheet` (at `href`) and of the sheets it imports, at any depth. Cross-origin sheets cannot be read. */
function sheetPaths (href: string, sheet: CSSStyleSheet | null): string[] {
  return [pathOf(href), ...rulesOf(sheet).flatMap(rule => rule instanceof CSSImportRule ? sheetPaths(rule.styleSheet?.href ?? rule.href, rule.styleSheet) : [])]
}

/** Refreshes `<img>` sources and CSS background images that use one of `paths`. */
export function swapImages (changed: string[]): void {
  const paths = changed.map(decodePath)
  for (const img of document.images) {
    if (paths.includes(pathOf(img.src))) img.src = bust(img.src)
    if (img.srcset !== '') img.srcset = bustUrls(img.srcset, location.href, paths, /([^\s,]+)(?=\s|,|$)/g)
  }
  for (const el of document.querySelectorAll<HTMLElement>('[style*="url("]')) bustBackground(el.style, location.href, paths)
  for (const sheet of document.styleSheets) bustBackgrounds(sheet, sheet.href ?? location.href, paths)
}

/** `base`: the URL of the sheet whose rules these are (an inline sheet's is the page's). */
function bustBackgrounds (sheet: CSSStyleSheet | CSSGroupingRule, base: string, paths: string[]): void {
  for (const rule of rulesOf(sheet)) {
    if (rule instanceof CSSStyleRule) bustBackground(rule.style, base, paths)
    else if (rule instanceof CSSGroupingRule) bustBackgrounds(rule, base, paths)
  }
}

/** Rewrites a background image's URLs (relative to `base`) that point at one of `paths`; written only when one does. */
function bustBackground (style: CSSStyleDeclaration, base: string, paths: string[]): void {
  const value = bustUrls(style.backgroundImage, base, paths)
  if (value !== style.backgroundImage) style.backgroundImage = value
}

/** Rewrites the URLs in `text` (CSS `url(…)` by default) that point at one of `paths`. */
function bustUrls (text: string, base: string, paths: string[], pattern = /url\(\s*["']?([^"')]+)["']?\s*\)/g): string {
  return text.replace(pattern, (match: string, url: string) => {
    const absolute = new URL(url, base).href
    return paths.includes(pathOf(absolute)) ? match.replace(url, bust(absolute)) : match
  })
}

function rulesOf (sheet: CSSStyleSheet | CSSGroupingRule | null): CSSRule[] {
  try {
    return sheet === null ? [] : [...sheet.cssRules]
  } catch {
    return [] // a cross-origin sheet
  }
}

/** The path of `url` in the form the (decoded) paths of a message are compared in. */
function pathOf (url: string): string {
  return decodePath(new URL(url, location.href).pathname)
}

function bust (url: string): string {
  const next = new URL(url, location.href)
  next.searchParams.set(BUST_PARAM, String(Date.now()))
  return next.href
}
