// Eleventy's own configuration: sources in content/, layouts in _includes/, the stylesheet
// copied as it is, everything written to _site/ (the directory the plugin serves).
export default function (eleventyConfig) {
  eleventyConfig.addPassthroughCopy('css')
  return { dir: { input: 'content', includes: '../_includes', output: '_site' } }
}
