// The child the command forks before it loads the dev server (lib/cli/early-child.ts) is taken
// over only when it is the one the dev server would fork (lib/dev/settings.ts): the same entry,
// Node flags and logger for every command line that forks it, or the app would boot twice.
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { parseCommand } from '../../lib/cli/args.js'
import { firstChildOptions } from '../../lib/cli/early-child.js'
import { devSettings, loaderFor } from '../../lib/dev/settings.js'
import { fixture } from '../helpers/fixture.js'

/** The command line's options, as `fastify-livereload <args>` parses them. */
function optionsOf (args: string[]): Extract<ReturnType<typeof parseCommand>, { kind: 'dev' }>['options'] {
  const command = parseCommand(args)
  if (command.kind !== 'dev') throw new Error(`not dev: ${args.join(' ')}`)
  return command.options
}

t.test('every command line that forks a child ahead forks the one the dev server would', async t => {
  // Under the repository (tap's fixtures): pino-pretty and tsx are found from the app, as in a project that has them.
  const dir = fixture(t, { 'app.js': 'export default async function () {}\n', 'app.ts': 'export default async function () {}\n', sub: {} })
  const lines = [
    ['dev', join(dir, 'app.js')],
    ['dev', relative(process.cwd(), join(dir, 'app.js'))],
    ['dev', `${dir}/sub/../app.js`],
    ['dev', `${dir}//app.js`],
    ['dev', join(dir, 'app.js'), '-l', 'debug'],
    ['dev', join(dir, 'app.js'), '-P'],
    ['dev', join(dir, 'app.js'), '--log-level', 'warn', '--pretty-logs'],
    ['dev', join(dir, 'app.ts')]
  ]
  for (const args of lines) {
    const options = optionsOf(args)
    const settings = devSettings({ entry: options.dir, logLevel: options.logLevel, prettyLogs: options.prettyLogs })
    t.same(firstChildOptions(options), { entry: settings.entry, execArgv: loaderFor(settings.entry), logger: settings.appLogger, schemas: {} }, args.slice(1).join(' '))
  }
})

t.test('none where the dev server would refuse the command line or decide later', async t => {
  const dir = fixture(t, { 'app.js': 'export default async function () {}\n', routes: {} })
  const cases: Array<[string[], string]> = [
    [['dev', join(dir, 'missing.js')], 'no such entry'],
    [['dev', join(dir, 'routes')], 'a directory'],
    [['dev', pathToFileURL(join(dir, 'app.js')).href], 'a file URL'],
    [['dev', join(dir, 'app.js'), '--https'], '--https: its certificate first']
  ]
  for (const [args, why] of cases) t.equal(firstChildOptions(optionsOf(args)), null, why)
})
