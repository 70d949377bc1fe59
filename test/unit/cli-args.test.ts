// The command line (lib/cli/args.ts): what each flag becomes, and what a wrong one says.
import t from 'tap'
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PROXY_TIMEOUT_MS, FLAGS, HELP, parseCommand, USAGE, UsageError, type CliOptions } from '../../lib/cli/args.js'
import { SHARD_WORKER_FLAGS } from '../../lib/cli/shard-worker-args.js'

function options (argv: string[]): CliOptions {
  const command = parseCommand(argv)
  if (command.kind !== 'serve') throw new Error(`not a serve command: ${command.kind}`)
  return command.options
}

t.test('defaults: the current directory on 127.0.0.1:8080, the browser left to decide', async t => {
  t.same(options([]), {
    dir: '.',
    port: DEFAULT_PORT,
    isStrictPort: false,
    host: DEFAULT_HOST,
    open: undefined,
    watch: [],
    build: [],
    run: null,
    runBegins: null,
    runEnds: null,
    ignore: [],
    isSpa: false,
    proxy: null,
    isProxyInsecure: false,
    proxyTimeout: DEFAULT_PROXY_TIMEOUT_MS,
    livereload: false,
    poll: undefined,
    isQuiet: false,
    https: null,
    qr: true,
    sync: false,
    editor: true,
    patch: true,
    logLevel: undefined,
    prettyLogs: false
  })
})

t.test('every flag', async t => {
  const parsed = options(['site', '--port', '3000', '--strict-port', '--host', '0.0.0.0', '--open', '--watch', 'src', '--watch', 'content',
    '--build', 'npm run build', '--build', 'npm run css', '--ignore', '**/*.map', '--ignore', '/\\.tmp$/i', '--spa', '--livereload', '--poll', '--quiet',
    '--https', '--no-qr', '--sync', '--no-editor', '--no-patch'])
  t.equal(parsed.dir, 'site')
  t.equal(parsed.port, 3000)
  t.equal(parsed.isStrictPort, true)
  t.equal(parsed.host, '0.0.0.0')
  t.equal(parsed.open, true)
  t.same(parsed.watch, ['src', 'content'])
  t.same(parsed.build, ['npm run build', 'npm run css'], 'in order')
  t.equal(parsed.ignore[0], '**/*.map')
  t.same(parsed.ignore[1], /\.tmp$/i, '/regex/flags is a RegExp')
  t.equal(parsed.isSpa, true)
  t.equal(parsed.livereload, true)
  t.equal(parsed.sync, true)
  t.equal(parsed.patch, false)
  t.equal(parsed.poll, true)
  t.equal(parsed.isQuiet, true)
  t.same(parsed.https, { kind: 'made' })
  t.equal(parsed.qr, false)
  t.equal(parsed.editor, false)
  t.equal(options(['--no-open']).open, false)
})

t.test('--host alone is every interface, as in Vite; with a value, that address', async t => {
  t.equal(options(['--host']).host, '0.0.0.0', 'last')
  t.equal(options(['--host', '--https']).host, '0.0.0.0', 'before another flag')
  t.equal(options(['--host', '--', 'site']).dir, 'site', 'before --')
  t.equal(options(['--host', '::']).host, '::')
  t.equal(options(['--host=192.168.1.5', 'site']).host, '192.168.1.5')
  t.equal(options(['--host', 'site']).host, 'site', 'a word after it is its value: the directory goes first')
  t.equal(options(['--host', '[::1]']).host, '::1', 'an IPv6 address in brackets, as in a URL')
  t.equal(options(['--host', '127.0.0.1']).host, '127.0.0.1')
  t.throws(() => parseCommand(['--host', '999.1.1.1']), new UsageError('--host takes an address or a host name, got "999.1.1.1", which is not an IP address'))
  t.throws(() => parseCommand(['--host', '[nope]']), new UsageError('--host takes an address or a host name, got "[nope]", which is not an IP address'))
  t.throws(() => parseCommand(['--host', '[::1]:8080']), new UsageError('--host takes an address or a host name, got "[::1]:8080": the port goes in --port'))
  t.throws(() => parseCommand(['--host', 'localhost:8080']), new UsageError('--host takes an address or a host name, got "localhost:8080": the port goes in --port'))
  t.throws(() => parseCommand(['--host', 'my host.local']), new UsageError('--host takes an address or a host name, got "my host.local"'))
  t.throws(() => parseCommand(['--host=-lead.example']), new UsageError('--host takes an address or a host name, got "-lead.example"'))
  for (const name of ['localhost', 'dev.example.com', 'host-1', 'example.com.', 'my_service']) t.equal(parseCommand(['--host', name]).kind === 'serve' && (parseCommand(['--host', name]) as { options: CliOptions }).options.host, name, name)
})

t.test('--cert and --key: together, and they mean HTTPS', async t => {
  t.same(options(['--cert', 'c.pem', '--key', 'k.pem']).https, { kind: 'files', cert: 'c.pem', key: 'k.pem' })
  t.same(options(['--https', '--cert', 'c.pem', '--key', 'k.pem']).https, { kind: 'files', cert: 'c.pem', key: 'k.pem' })
  const logged = parseCommand(['dev', 'app.js', '-l', 'debug', '-P'])
  t.same(logged.kind === 'dev' && [logged.options.logLevel, logged.options.prettyLogs], ['debug', true], 'dev: fastify-cli\'s -l and -P')
  t.throws(() => parseCommand(['dev', 'app.js', '--log-level', 'verbose']), new UsageError('--log-level must be one of fatal, error, warn, info, debug, trace, silent: got "verbose"'))
  t.throws(() => parseCommand(['site', '-P']), new UsageError('--pretty-logs goes with dev: the app\'s logger'))
  const dev = parseCommand(['dev', 'app.js', '--https'])
  t.same(dev.kind === 'dev' && dev.options.https, { kind: 'made' }, 'dev too')
})

t.test('--poll takes an optional interval', async t => {
  t.equal(options(['--poll', '250']).poll, 250)
  t.equal(options(['--poll=1000']).poll, 1000)
  t.equal(options(['--poll', 'site']).poll, true, 'a word after it is the directory')
  t.equal(options(['--poll', 'site']).dir, 'site')
  t.throws(() => parseCommand(['--poll=fast']), new UsageError('--poll takes an interval in milliseconds, got "fast"'))
  t.equal(options(['--poll', '.']).dir, '.', 'a path after it is the directory, however it begins')
  t.equal(options(['--poll', '../site']).dir, '../site')
  t.equal(options(['--poll', '2024-site']).dir, '2024-site')
  t.throws(() => parseCommand(['--poll', '-5']), new UsageError('--poll takes an interval in milliseconds, got "-5"'))
  t.throws(() => parseCommand(['--poll', '1.5']), new UsageError('--poll takes an interval in milliseconds, got "1.5"'))
  t.throws(() => parseCommand(['site', '--poll', 'abc']), new UsageError('--poll takes an interval in milliseconds, got "abc"'), 'a second word after a directory: a mistyped interval')
})

t.test('--proxy: a URL, its scheme optional', async t => {
  t.equal(options(['--proxy', 'localhost:3000']).proxy?.origin, 'http://localhost:3000')
  t.equal(options(['--proxy', 'https://localhost:3443', '--proxy-insecure']).isProxyInsecure, true)
  t.equal(options(['--proxy', 'https://example.test/']).proxy?.origin, 'https://example.test')
  t.equal(options(['--proxy', 'localhost:3000', '--proxy-timeout', '1500']).proxyTimeout, 1500)
  t.equal(options(['--proxy', 'localhost:3000', '--proxy-timeout', '0']).proxyTimeout, 0, '0: no limit')
  for (const bad of ['-1', '1.5', '2s', '86400001']) {
    t.throws(() => parseCommand(['--proxy', 'localhost:3000', `--proxy-timeout=${bad}`]), new UsageError(`--proxy-timeout takes milliseconds, up to 86400000 (0: no limit), got "${bad}"`))
  }
  t.throws(() => parseCommand(['--proxy-timeout', '100']), new UsageError('--proxy-timeout goes with --proxy: the upstream it bounds'))
  t.throws(() => parseCommand(['--proxy-insecure']), new UsageError('--proxy-insecure goes with --proxy: the upstream whose certificate it does not verify'))
  t.throws(() => parseCommand(['--proxy', 'localhost:3000/app']), new UsageError('--proxy takes a server\'s origin, such as http://localhost:3000, without a path: got "localhost:3000/app"'))
  t.throws(() => parseCommand(['--proxy', 'http://']), /--proxy takes a URL such as http:\/\/localhost:3000, got "http:\/\/"/)
})

t.test('after --, everything is the directory', async t => {
  t.equal(options(['--', '--weird-name']).dir, '--weird-name')
})

t.test('--run: one command, keeping the served directory its output, alone of its kind', async t => {
  t.equal(options(['_site', '--run', 'npx @11ty/eleventy --watch']).run, 'npx @11ty/eleventy --watch')
  t.throws(() => parseCommand(['--run', ' ']), new UsageError('--run needs a command'))
  t.throws(() => parseCommand(['--run', 'gen --watch', '--build', 'make', '--watch', 'src']), new UsageError('--run and --build: choose one (--run keeps a generator\'s own watch mode running, --build runs a command per change)'))
  t.throws(() => parseCommand(['--run', 'gen --watch', '--watch', 'src']), new UsageError('--run watches nothing itself: its command watches its own sources; leave out --watch'))
  t.throws(() => parseCommand(['--run', 'gen --watch', '--proxy', 'localhost:5000']), new UsageError('--run goes with a directory to serve, the one its command writes: --proxy serves none'))
  t.throws(() => parseCommand(['dev', 'app.js', '--run', 'gen --watch']), new UsageError('--run goes with a directory to serve, the one its command writes: dev serves none'))
  const framed = options(['_site', '--run', 'gen --watch', '--run-begins', '^gen: begin', '--run-ends', 'done$'])
  t.same([framed.runBegins, framed.runEnds], [/^gen: begin/, /done$/], '--run-begins and --run-ends: regular expressions, given as their source')
  t.throws(() => parseCommand(['--run-ends', 'done$']), new UsageError('--run-ends goes with --run: the lines of its command'))
  t.throws(() => parseCommand(['--run', 'gen --watch', '--run-begins', '(']), { message: /^--run-begins takes a regular expression: Invalid regular expression/ })
})

t.test('--help, -h, --version, -v', async t => {
  t.same(parseCommand(['--help']), { kind: 'help' })
  t.same(parseCommand(['-h', '--port', 'x']), { kind: 'help' }, 'help wins over a bad value')
  t.same(parseCommand(['--version']), { kind: 'version' })
  t.same(parseCommand(['-v']), { kind: 'version' })
})

t.test('a wrong command line names what is wrong', async t => {
  const cases: Array<[string[], string]> = [
    [['--prot', '1'], 'unknown option --prot'],
    [['-x'], 'unknown option -x'],
    [['--port'], '--port needs a value'],
    [['--spa=yes'], '--spa takes no value'],
    [['--port', '70000'], '--port takes a port from 0 to 65535, got "70000"'],
    [['--port=-1'], '--port takes a port from 0 to 65535, got "-1"'],
    [['--port', '-1'], '--port: write a value that starts with "-" as --port=<value>'],
    [['--host', 'a b'], '--host takes an address or a host name, got "a b"'],
    [['--host', ''], '--host takes an address or a host name, got ""'],
    [['--open', '--no-open'], '--open and --no-open: choose one'],
    [['--watch', 'src', '--build', ' '], '--build needs a command'],
    [['--build', 'make'], '--build needs --watch: the sources whose changes run it'],
    [['--proxy', 'ftp://host'], '--proxy takes an http:// or https:// URL, got "ftp://host"'],
    [['--cert', 'c.pem'], '--cert needs --key: the file of the certificate\'s private key'],
    [['--key', 'k.pem', '--https'], '--key needs --cert: the file of the certificate it belongs to'],
    [['--cert'], '--cert needs a value'],
    [['--https=yes'], '--https takes no value'],
    [['--ignore', ''], '--ignore needs a glob or a /regex/'],
    [['a', 'b'], 'one directory at most, got "a", "b"']
  ]
  for (const [argv, message] of cases) t.throws(() => parseCommand(argv), new UsageError(message), argv.join(' '))
  t.throws(() => parseCommand(['--ignore', '/(/']), /--ignore: "\/\(\/" is not a valid regular expression/)
})

t.test('the usage lines and the help name every flag the command takes', async t => {
  const [serve, shardWorker, dev] = USAGE.split('\n')
  const named = (line: string, name: string, short?: string): boolean => line.includes(`--${name}`) || (short !== undefined && line.includes(`[-${short}`))
  for (const [name, flag] of Object.entries(FLAGS)) {
    if (name === 'help' || name === 'version') continue // the usage's last line says how to ask for them
    if (name === 'log-level' || name === 'pretty-logs') t.ok(named(dev!, name, (flag as { short?: string }).short), `dev's usage names --${name}`)
    else t.ok(named(serve!, name), `usage names --${name}`)
    t.ok(HELP.includes(`--${name}`), `help names --${name}`)
  }
  for (const name of Object.keys(SHARD_WORKER_FLAGS)) {
    t.ok(named(shardWorker!, name), `shard-worker's usage names --${name}`)
    t.ok(HELP.includes(`--${name}`), `help names --${name}`)
  }
})
