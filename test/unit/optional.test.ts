// The optional peer dependencies' import (lib/optional.ts): a package that is missing is a coded
// error naming it; one that is there, or one that is there but broken, is not mistaken for it.
import t from 'tap'
import { importOptional } from '../../lib/optional.js'
import { runWithout } from '../helpers/without-package.js'

t.test('a package that is not installed: FST_LIVERELOAD_MISSING_DEPENDENCY naming it and why', async t => {
  const err = await importOptional('fastify-livereload-no-such-package', 'for the cluster option').then(() => null, (err: Error) => err)
  t.match(err, { code: 'FST_LIVERELOAD_MISSING_DEPENDENCY', message: /"fastify-livereload-no-such-package" is needed for the cluster option/ })
  t.match((err?.cause as Error).message, /Cannot find package 'fastify-livereload-no-such-package'/, 'the import\'s own error is its cause')
})

t.test('an installed package is imported', async t => {
  const { Registry } = await importOptional<typeof import('prom-client')>('prom-client', 'for metrics')
  t.type(new Registry(), Registry)
})

t.test('any other failure is passed on as it is', async t => {
  const err = await importOptional('data:text/javascript,throw new RangeError("broken")', 'for nothing').then(() => null, (err: Error) => err)
  t.type(err, RangeError)
  t.equal(err?.message, 'broken')
})

t.test('in a process where the package is not installed, the error names it', async t => {
  const optional = new URL('../../dist/optional.js', import.meta.url).href // as an app runs it: built
  const ran = await runWithout(['prom-client'], `
    const { importOptional } = await import(${JSON.stringify(optional)})
    await importOptional('prom-client', 'for metrics').catch(err => { console.log(err.code, err.message); process.exit(3) })`)
  t.equal(ran.code, 3, ran.stderr)
  t.match(ran.stdout, /^FST_LIVERELOAD_MISSING_DEPENDENCY .*"prom-client" is needed for metrics/)
})
