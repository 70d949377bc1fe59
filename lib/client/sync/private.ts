// What is never mirrored, in either direction: secrets and what the page says to leave alone.

/** `autocomplete` tokens of values that stay in one tab: card data, passwords, one-time codes. */
const SECRET_AUTOCOMPLETE = /\b(cc-[a-z-]+|current-password|new-password|one-time-code)\b/i
const PRIVATE_INPUT_TYPES = new Set(['password', 'hidden', 'file'])

/** Whether `element` is a password, hidden or file input, a card or one-time code field, or under `[data-no-sync]`. */
export function isPrivate (element: Element): boolean {
  if (element.closest('[data-no-sync]') !== null) return true
  if (element instanceof HTMLInputElement && PRIVATE_INPUT_TYPES.has(element.type)) return true
  const autocomplete = element.getAttribute('autocomplete')
  return autocomplete !== null && SECRET_AUTOCOMPLETE.test(autocomplete)
}
