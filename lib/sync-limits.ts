// What synchronized browsing's two sides agree on, in one place: the server (channel/sync-relay.ts)
// enforces it, the tab (client/sync/) keeps within it. Browser-safe. Not in message-types.ts,
// which the client without sync imports: its bundle would carry this too.

/** The largest frame a tab may send with `sync` (its typed text): the server closes a larger one (1009), the tab does not send it. */
export const SYNC_MAX_FRAME_BYTES = 16 * 1024
