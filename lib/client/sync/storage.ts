// This tab's sessionStorage, where a page may have disabled it (then nothing is kept: the
// features that keep something do without).

export function stored (key: string): string | null {
  try {
    return sessionStorage.getItem(key)
  } catch {
    return null
  }
}

/** The value under `key`, removed. */
export function take (key: string): string | null {
  const value = stored(key)
  try {
    sessionStorage.removeItem(key)
  } catch { /* storage disabled */ }
  return value
}

export function store (key: string, value: string): void {
  try {
    sessionStorage.setItem(key, value)
  } catch { /* storage disabled */ }
}
