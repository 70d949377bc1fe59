// What counts as a valid value, for every option of the plugin and its builders.

/** `value` as a URL, or null when it does not parse. */
export function parseUrl (value: string): URL | null {
  try {
    return new URL(value)
  } catch {
    return null
  }
}

/** The origin an `Origin` value or an `allowedOrigins` entry names; null when it names none (`null`, `file:`, garbage). */
export function originOf (value: string): string | null {
  const origin = parseUrl(value)?.origin
  return origin === undefined || origin === 'null' ? null : origin
}
