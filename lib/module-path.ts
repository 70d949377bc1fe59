// Where a module named by a path or a file URL is: the one rule for every option that names a
// module (validate.ts) and for the entry of the child the command forks ahead of the dev server
// (cli/early-child.ts), which must agree with it. Loads no package: the command's entry bundles it.
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** `value`'s file: a file URL's path, an absolute path as it is written, a relative one from `cwd`. */
export function moduleFile (value: string, cwd = process.cwd()): string {
  if (value.startsWith('file:')) return fileURLToPath(value)
  return isAbsolute(value) ? value : resolve(cwd, value)
}
