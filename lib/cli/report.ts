import { Writable } from 'node:stream'

/** What the terminal is told: the URLs, then a line per change, build and warning. */
export interface Report {
  /** Where Fastify's logger (pino) writes its JSON lines: the plugin's become readable lines. */
  readonly stream: Writable
  line (text: string): void
  warn (text: string): void
  error (text: string): void
  /** `text` in bold (a URL), on a terminal that shows colour. */
  strong (text: string): string
}

export interface ReportOptions {
  /** Where lines go. */
  readonly out: NodeJS.WritableStream & { isTTY?: boolean }
  readonly isQuiet: boolean
  /** How many browsers hear a message sent now. */
  readonly browsers: () => number
  readonly env?: NodeJS.ProcessEnv
}

const LEVEL_WARN = 40
const LEVEL_ERROR = 50

/** A pino line, as much of it as the report reads. */
interface LogLine {
  level: number
  msg?: string
  plugin?: string
  type?: string
  files?: string
  ms?: number
  sent?: string
  err?: { message?: string, file?: string, line?: number, column?: number }
}

const STYLES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const
type Style = keyof typeof STYLES

/**
 * The command's terminal output. Colour only on a terminal, never with NO_COLOR (no-color.org);
 * `isQuiet` keeps warnings and errors only. The plugin's log lines (pipeline.ts) carry what a
 * line needs (`type`, `files`, `ms`, `sent`); Fastify's own lines (requests, listening) are left
 * out: the command prints its URLs itself.
 */
export function createReport ({ out, isQuiet, browsers, env = process.env }: ReportOptions): Report {
  const hasColour = out.isTTY === true && env.NO_COLOR === undefined
  const paint = (style: Style, text: string): string => hasColour ? `\u001b[${STYLES[style][0]}m${text}\u001b[${STYLES[style][1]}m` : text
  const write = (text: string): void => { out.write(`${paint('dim', time())} ${text}\n`) }
  const report: Report = {
    stream: new Writable({
      write (chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString('utf8').split('\n')) {
          if (text === '') continue
          const line = parse(text)
          if (line !== null) show(line)
        }
        done()
      }
    }),
    line: text => { if (!isQuiet) write(text) },
    warn: text => write(`${paint('yellow', 'warn')}  ${text}`),
    error: text => write(`${paint('red', 'error')} ${text}`),
    strong: text => paint('bold', text)
  }

  function show (line: LogLine): void {
    if (line.level >= LEVEL_ERROR) return report.error(errorText(line))
    if (line.level >= LEVEL_WARN) return report.warn(errorText(line))
    if (line.plugin !== 'livereload' || line.msg === undefined) return
    report.line(infoText(line))
  }

  /** A message sent: `css  css/site.css → 2 browsers`. */
  function sent (type: string, files: string | undefined): string {
    const count = browsers()
    return `${paint(type === 'css' || type === 'img' ? 'cyan' : 'green', type.padEnd(6))} ${files ?? ''} ${paint('dim', `→ ${count} ${count === 1 ? 'browser' : 'browsers'}`)}`
  }

  function infoText (line: LogLine): string {
    const msg = line.msg!
    if (msg.startsWith('output changed:') && line.type !== undefined) return sent(line.type, line.files)
    if (msg.startsWith('sources changed:')) return sent(line.type ?? 'reload', line.files)
    if (msg === 'build started') return `${paint('dim', 'building…')} ${line.files ?? ''}`.trimEnd()
    if (msg === 'build finished') {
      const built = `built in ${line.ms ?? 0} ms`
      return line.sent === undefined || line.sent === 'none' ? built : `${built}, ${sent(line.sent, undefined).replace(/ {2,}/, ' ')}`
    }
    return msg
  }

  /** `build failed: src/a.md:3:1 Unexpected token` and the like. */
  function errorText (line: LogLine): string {
    const err = line.err
    if (err === undefined) return line.msg ?? ''
    const place = err.file === undefined ? '' : `${[err.file, err.line, err.column].filter(part => part !== undefined).join(':')} `
    const first = (err.message ?? '').split('\n', 1)[0]
    return `${line.msg ?? 'failed'}: ${place}${first}`
  }

  return report
}

function parse (text: string): LogLine | null {
  try {
    const line = JSON.parse(text) as LogLine
    return typeof line.level === 'number' ? line : null
  } catch {
    return null
  }
}

/** `14:03:07`, local time. */
function time (): string {
  return new Date().toTimeString().slice(0, 8)
}
