// Links, HTML and SVG alike: what clicks and navigation need to know of where one goes.

/** The link `target` is in, if any: `<a href>`, `<area href>`, and SVG's `<a href>` or `<a xlink:href>` (`[*|href]`: any namespace). */
export function linkAt (target: Element): Element | null {
  return target.closest('a[*|href], area[href]')
}

/**
 * Where `link` takes this tab; null when it opens another window or downloads, or when its URL
 * does not parse. (An SVG link's `href` and `target` are SVGAnimatedStrings: read as attributes.)
 */
export function destinationOf (link: Element): URL | null {
  const opens = link.getAttribute('target')
  if ((opens !== null && opens !== '' && opens !== '_self') || link.hasAttribute('download')) return null
  try {
    return new URL(link instanceof SVGAElement ? link.href.baseVal : (link as HTMLAnchorElement).href, link.baseURI)
  } catch {
    return null
  }
}
