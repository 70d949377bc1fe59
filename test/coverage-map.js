// Coverage is measured on the library's own server code; the browser client is covered by the
// browser tests, which run it in Chromium where tap cannot see it.
export default function coverageMap () {
  return ['lib/**/*.ts', '!lib/client/**']
}
