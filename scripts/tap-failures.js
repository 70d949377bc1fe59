// Reads tap's TAP stream as it passes and keeps what failed: each failing assertion with the
// subtests it is in and the start of its diagnostics. A CI log keeps the end of a run, and a
// whole `npm test` prints ~20,000 lines: test.js repeats the failures last, so the log shows them.

const SUBTEST = /^(\s*)# Subtest: (.*)$/
const NOT_OK = /^(\s*)not ok \d+ - (.*?)(?: # time=[\d.]+m?s)?$/
/** Lines of one failure's diagnostics (its YAML block) kept; the rest are counted. */
const DIAGNOSTIC_LINES = 16
/** Keys of that block left out: where the assertion is, which its stack says too, and its source. */
const SKIPPED = /^(at|source):/

export function failureCollector () {
  const open = [] // [indent, name] of the subtests the stream is in, outermost first
  const failures = [] // { path: string[], diagnostic: string[], more: number }
  let reading = null // the failure whose YAML block is being read, and that block's indent

  const line = text => {
    if (reading !== null) {
      if (text.startsWith(reading.indent) && (reading.started || text.trim() === '---')) {
        const body = text.slice(reading.indent.length)
        reading.started = true
        if (body === '...') reading = null
        else if (body === '---') return
        else {
          if (/^\S/.test(body)) reading.skipping = SKIPPED.test(body)
          if (reading.skipping) return
          if (reading.failure.diagnostic.length < DIAGNOSTIC_LINES) reading.failure.diagnostic.push(body)
          else reading.failure.more++
        }
        return
      }
      reading = null
    }
    const subtest = SUBTEST.exec(text)
    if (subtest !== null) {
      const indent = subtest[1].length
      while (open.length > 0 && open.at(-1)[0] >= indent) open.pop()
      open.push([indent, subtest[2]])
      return
    }
    const failed = NOT_OK.exec(text)
    if (failed === null) return
    const indent = failed[1].length
    const path = [...open.filter(([at]) => at < indent).map(([, name]) => name), failed[2]]
    // A subtest's own line after its body: the failures inside it are already kept.
    const parent = failures.some(kept => kept.path.length > path.length && path.every((name, i) => kept.path[i] === name))
    while (open.length > 0 && open.at(-1)[0] >= indent) open.pop()
    if (parent) return
    const failure = { path, diagnostic: [], more: 0 }
    failures.push(failure)
    reading = { failure, indent: `${failed[1]}  `, started: false, skipping: false }
  }

  /** The failures as text for the end of a log, at most `limit` of them; '' when none. */
  const report = (title, limit = 12) => {
    if (failures.length === 0) return ''
    const shown = failures.slice(0, limit).map(({ path, diagnostic, more }) => [
      `not ok: ${path.join(' › ')}`,
      ...diagnostic.map(text => `    ${text}`),
      ...(more > 0 ? [`    … ${more} more lines in the log above`] : [])
    ].join('\n'))
    const left = failures.length > limit ? `\n(${failures.length - limit} more failures above)` : ''
    return `\n# ${title}: ${failures.length} failed\n${shown.join('\n')}${left}\n`
  }

  return { line, report, get count () { return failures.length } }
}
