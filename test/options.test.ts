import t from 'tap'
import { resolveOptions, DEFAULT_PATH } from '../lib/options.js'

t.test('defaults resolve with no options', async t => {
  const options = resolveOptions()
  t.equal(options.path, DEFAULT_PATH)
})
