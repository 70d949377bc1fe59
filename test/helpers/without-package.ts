// A Node.js process in which some packages are not installed, as an app without an optional peer
// dependency sees it: importing one fails with Node's own ERR_MODULE_NOT_FOUND, requiring one
// (as the command's CommonJS bundle does) with MODULE_NOT_FOUND, while everything else (our dist/,
// the other packages) resolves as usual.
import { execFile } from 'node:child_process'

export interface Ran { readonly code: number | null, readonly stdout: string, readonly stderr: string }

/** Runs `script` (an ES module's text; import our code by absolute URL) where `packages` cannot be found. */
export async function runWithout (packages: readonly string[], script: string, timeoutMs = 60_000): Promise<Ran> {
  const hooks = `const missing = ${JSON.stringify(packages)};
export async function resolve (specifier, context, next) {
  if (missing.some(pkg => specifier === pkg || specifier.startsWith(pkg + '/'))) {
    throw Object.assign(new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL), { code: 'ERR_MODULE_NOT_FOUND' })
  }
  return next(specifier, context)
}`
  // Node 20's module hooks do not see require(): CommonJS resolution is refused in this thread.
  const refuseRequire = `const resolveFilename = Module._resolveFilename; Module._resolveFilename = function (request, ...rest) {
  if (${JSON.stringify(packages)}.some(pkg => request === pkg || request.startsWith(pkg + '/'))) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' })
  return resolveFilename.call(this, request, ...rest)
}`
  const register = `import Module, { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)}); ${refuseRequire}`
  const args = ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '--eval', script]
  return await new Promise(resolve => {
    execFile(process.execPath, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}
