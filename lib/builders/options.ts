// The options builders share, each declared once (option.ts) for every builder that takes it:
// `owner` (commandBuilder, runBuilder, isolatedBuilder) names it in its errors.
import { option, type Option } from '../option.js'
import { envOption, integerOption, invalid } from '../validate.js'
import { DEFAULT_MAX_OUTPUT } from './tool-output.js'

/** The working directory of the builder's commands; undefined: the process's, when each starts. */
export const cwdOption = (owner: string): Option<string | undefined, unknown> => option('process.cwd()', value => {
  if (value !== undefined && (typeof value !== 'string' || value === '')) invalid(`${owner}.cwd`, 'must be a directory path')
  return value as string | undefined
})

/** The environment of what the builder starts: the user's, merged over process.env. */
export const envDeclaration = (owner: string): Option<NodeJS.ProcessEnv, unknown> =>
  option('{}', value => ({ ...process.env, ...envOption(`${owner}.env`, value) }))

/** A timeout in ms, `fallback` when absent. */
export const timeoutOption = (owner: string, fallback: number): Option<number, unknown> =>
  option(String(fallback), value => integerOption(`${owner}.timeout`, value ?? fallback, { unit: 'ms' }))

/** How much of a tool's output (bytes, its tail) is kept for the overlay. */
export const maxOutputOption = (owner: string): Option<number, unknown> =>
  option(String(DEFAULT_MAX_OUTPUT), value => integerOption(`${owner}.maxOutput`, value ?? DEFAULT_MAX_OUTPUT, { unit: 'bytes' }))
