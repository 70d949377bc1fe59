// The optional peer dependencies (ioredis, bullmq, prom-client): imported only when the option
// that needs one is used, so an app without that option never needs the package installed.
import { FST_LIVERELOAD_MISSING_DEPENDENCY } from './errors.js'

/** `pkg`, needed `why` ("for the cluster option"); not installed: a coded error that names it. */
export async function importOptional<Module> (pkg: string, why: string): Promise<Module> {
  try {
    return await import(pkg) as Module
  } catch (err) {
    if (isMissing(err, pkg)) throw new FST_LIVERELOAD_MISSING_DEPENDENCY(pkg, why, pkg, { cause: err })
    throw err
  }
}

/**
 * Whether `err` says `pkg` itself cannot be found (not a module it imports, which is its own bug).
 * By Node's code, or by its message where a loader (a test runner's) passed the error on without it.
 */
function isMissing (err: unknown, pkg: string): boolean {
  const { code, message } = err as { code?: unknown, message?: unknown }
  if (typeof message !== 'string' || !message.includes(`'${pkg}'`)) return false
  return code === 'ERR_MODULE_NOT_FOUND' || message.startsWith(`Cannot find package '${pkg}'`) || message.startsWith(`Cannot find module '${pkg}'`)
}
