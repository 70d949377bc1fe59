// A stylesheet of the client, imported as its text: scripts/build.js minifies it into the bundle.
declare module '*.css' {
  const css: string
  export default css
}
