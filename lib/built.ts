/**
 * A file of the built package. From lib/ (tests, through the test loader) and from dist/ (the package)
 * alike, this module sits one level below the root, so the URL lands in dist/.
 */
export function builtFile (path: string): URL {
  return new URL(`../dist/${path}`, import.meta.url)
}
