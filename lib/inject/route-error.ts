// What the page of a 5xx shows of the error behind it (navigation-page.ts): the error a route
// threw in this process, or the one a dev version sent with its reply (dev/route-errors.ts).
import type { BuildErrorInfo } from '../../types/index.js'
import { codeFrame, normalizeErrors } from '../build-errors.js'
import { placeOf } from '../place.js'

/**
 * An error a route threw, as the overlay shows a build's (normalizeErrors, paths shown from
 * `cwd`): when it names no place itself (a template engine's errors do), the first frame of its
 * stack in the app's own files (under `dir`, not in node_modules), with that line's code frame.
 */
export function routeErrorInfo (error: unknown, dir = process.cwd(), cwd = process.cwd()): BuildErrorInfo {
  const [info] = normalizeErrors(error, cwd) as [BuildErrorInfo]
  if (info.file !== undefined || !(error instanceof Error)) return info
  const place = placeOf(error, dir, { anyFrame: false })
  if (place === null) return info
  // A file gone since: the place without its frame.
  const [located] = normalizeErrors({ message: info.message, file: place.file, line: place.line, column: place.column, frame: codeFrame(place.file, place.line, place.column) }, cwd) as [BuildErrorInfo]
  return { ...info, file: located.file, line: located.line, column: located.column, frame: located.frame }
}

/** Errors a dev version reported for the replies the supervisor forwards, by request (the supervisor's). */
const forwarded = new WeakMap<object, BuildErrorInfo>()

/** The dev server's proxy: the version that answered `request` with a 5xx said this error caused it. */
export function rememberRouteError (request: object, info: BuildErrorInfo): void {
  forwarded.set(request, info)
}

/** The error a dev version reported with its reply to `request`, if any. */
export function forwardedRouteError (request: object): BuildErrorInfo | undefined {
  return forwarded.get(request)
}
