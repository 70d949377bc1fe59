/** The browser console is the client's only channel; every line says where it comes from. */
export function log (message: string): void {
  console.info(`[livereload] ${message}`)
}
