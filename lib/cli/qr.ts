/** Where the QR code would go, and what the command line said about it. */
export interface QrOptions {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean }
  /** `--no-qr` makes it false. */
  readonly qr: boolean
  readonly isQuiet: boolean
}

/**
 * Prints a QR code of the first network URL, for a phone's camera, when there is one and `out` is
 * a terminal: piped into a file or another program, the blocks are noise. Resolves with whether
 * it printed one.
 */
export async function printQr (networkUrls: readonly string[], { out, qr, isQuiet }: QrOptions): Promise<boolean> {
  const url = networkUrls[0]
  if (url === undefined || !qr || isQuiet || out.isTTY !== true) return false
  const { renderUnicodeCompact } = await import('uqr') // only when a code is printed
  // uqr draws light modules as blocks (the text's colour) and dark ones as spaces (the
  // background): the right way round on a dark terminal, with a light border as the quiet zone.
  out.write(`${renderUnicodeCompact(url, { border: 2 })}\n`)
  return true
}
