// What the command's flag parsers share (args.ts, shard-worker-args.ts): the error of a command
// line that cannot run, and parseArgs' messages in our words.

/** A command line that cannot run: the message names the flag or value; the process exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** parseArgs' messages, made to read as ours: `Unknown option '--prot'. To specify a positional …` → `unknown option --prot`. */
export function tidy (message: string): string {
  const unknown = /^Unknown option '([^']+)'/.exec(message)
  if (unknown !== null) return `unknown option ${unknown[1]}`
  const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message)
  if (missing !== null) return `${missing[1]} needs a value`
  const notValue = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message)
  if (notValue !== null) return `${notValue[1]} takes no value`
  const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(message)
  if (ambiguous !== null) return `${ambiguous[1]}: write a value that starts with "-" as ${ambiguous[1]}=<value>`
  return message
}
