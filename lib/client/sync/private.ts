// What is never mirrored, in either direction: secrets and what the page says to leave alone.

/** `autocomplete` tokens of values that stay in one tab: card data, passwords, one-time codes. */
const SECRET_AUTOCOMPLETE = /\b(cc-[a-z-]+|current-password|new-password|one-time-code)\b/i
/** Names and ids of password fields, whatever their type says: password, passwd, pwd, passphrase. */
const PASSWORD_NAME = /pass(?:word|wd|phrase)|pwd/i
const PRIVATE_INPUT_TYPES = new Set(['password', 'hidden', 'file'])

/** Inputs that were password fields once: a "show password" button makes one `type=text`, its value still a password. */
const wasPassword = new WeakSet<Node>()

/** Starts remembering the password fields the page turns into something else. */
export function rememberPasswords (): void {
  new MutationObserver(records => {
    for (const record of records) if (record.oldValue?.toLowerCase() === 'password') wasPassword.add(record.target)
  }).observe(document, { subtree: true, attributeFilter: ['type'], attributeOldValue: true })
}

/**
 * Whether `element` is a password (or ever was, here), hidden or file input, one named like a
 * password, a card or one-time code field, or under `[data-no-sync]`.
 */
export function isPrivate (element: Element): boolean {
  if (element.closest('[data-no-sync]') !== null || wasPassword.has(element)) return true
  if (element instanceof HTMLInputElement && PRIVATE_INPUT_TYPES.has(element.type)) return true
  // A field named like a password, whatever its type, a <textarea> too (a key pasted whole).
  if ((element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) && PASSWORD_NAME.test(`${element.name} ${element.id}`)) return true
  const autocomplete = element.getAttribute('autocomplete')
  return autocomplete !== null && SECRET_AUTOCOMPLETE.test(autocomplete)
}
