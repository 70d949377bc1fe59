// Which stylesheets a `css` message names: pure, so that it is tested without a browser.

/**
 * The stylesheets of `sheets` that `paths` (decoded) name, each stylesheet known by the decoded
 * URL paths of its sheet and of the sheets it imports (`pathsOf`). A URL path names the sheets at
 * that path. A file path (`isFiles`) names the sheets whose path ends with the most of its names,
 * its own name at least, as browser-sync and livereload-js match: `views/css/site.css` names
 * `/static/css/site.css` before `/site.css`, both before nothing. Unlike theirs, names compare
 * by case: a miss costs a reload, a wrong match a change that never shows.
 */
export function matchSheets<T> (paths: string[], sheets: T[], pathsOf: (sheet: T) => string[], isFiles?: boolean): Set<T> {
  const matching = new Set<T>()
  const urls = sheets.map(pathsOf)
  for (const path of paths) {
    const scores = urls.map(list => Math.max(...list.map(url => isFiles ? sharedNames(path, url) : +(url === path))))
    const best = Math.max(...scores)
    sheets.forEach((sheet, i) => best > 0 && scores[i] === best && matching.add(sheet))
  }
  return matching
}

/** How many trailing names two paths share: `a/css/x.css` and `/static/css/x.css`, 2. */
function sharedNames (file: string, url: string): number {
  const names = file.split('/')
  const others = url.split('/')
  let count = 0
  while (names.length > 0 && names.pop() === others.pop()) count++
  return count
}
