// What synchronized browsing's two sides agree on, in one place: the server (channel/sync-relay.ts)
// enforces it, the tab (client/sync/) keeps within it. Browser-safe. Not in message-types.ts,
// which the client without sync imports: its bundle would carry this too.

/** The largest frame a tab may send with `sync` (its typed text): the server closes a larger one (1009), the tab does not send it. */
export const SYNC_MAX_FRAME_BYTES = 16 * 1024

/** A name as `CSS.escape` writes it: ident characters and non-ASCII as they are, `\` + hex + space, or `\` + any other character. */
const NAME = String.raw`(?:[-\w\u0080-\uffff]|\\[0-9a-fA-F]{1,6} |\\[^0-9a-fA-F\n\r\f])+`

/**
 * The only selectors a tab writes (client/sync/selector.ts), and so the only ones the server relays
 * and a tab looks up: `#id` or `:root`, then `> tag:nth-of-type(n)` steps. Any other, however
 * valid, is refused: one of `:is(:has(…))` within 4,096 characters costs a tab 200 ms and more per
 * lookup, where these cost a walk down from one element. Each part has one reading (a name ends
 * where its next character cannot continue it), so the test is linear in the length.
 */
export const SYNC_SELECTOR = new RegExp(String.raw`^(?:#${NAME}|:root)(?: > ${NAME}:nth-of-type\([1-9]\d{0,8}\))*$`)
