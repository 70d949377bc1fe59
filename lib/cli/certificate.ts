// The certificate of `--https`: the user's files (`--cert`, `--key`), or one made for this
// machine's names. mkcert's where mkcert is installed (browsers trust it once `mkcert -install`
// has run), else a self-signed one, kept in the user's cache directory and reused while it is
// valid and covers the names asked for.
import { execFile } from 'node:child_process'
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { displayPath } from '../paths.js'
import { UsageError, type HttpsRequest } from './args.js'
import { isWildcard, networkAddresses } from './listen.js'

/** The key and certificate the server is made with, and what to tell the user about them. */
export interface Certificate {
  readonly key: string
  readonly cert: string
  /** Lines to print: which certificate, and how a browser comes to trust it. */
  readonly notes: readonly string[]
  /** Said as a warning: mkcert's local CA is not trusted yet, or a certificate of the user's has expired. */
  readonly warning: string | null
}

/** A made certificate is valid this long (ms). */
export const VALID_MS = 365 * 24 * 3600_000
/** A cached certificate this close to its end (ms) is made again rather than reused. */
export const RENEW_BEFORE_MS = 7 * 24 * 3600_000

/** The certificate `request` asks for, for a server listening on `host`. Throws UsageError for files that cannot serve. */
export async function certificateFor (request: HttpsRequest, host: string, env: NodeJS.ProcessEnv = process.env): Promise<Certificate> {
  if (request.kind === 'files') return await usersCertificate(request.cert, request.key)
  const names = certificateNames(host)
  const dir = cacheDir(env)
  return await mkcertCertificate(join(dir, 'mkcert'), names, env) ?? await selfSignedCertificate(join(dir, 'self-signed'), names)
}

/** The Fastify server options of HTTPS: HTTP/2, with HTTP/1.1 for clients (and WebSocket upgrades) that ask for it. */
export function httpsServerOptions ({ key, cert }: Certificate): { http2: true, https: { allowHTTP1: true, key: string, cert: string } } {
  return { http2: true, https: { allowHTTP1: true, key, cert } }
}

/**
 * What a browser may call the server: the loopback names, the address it listens on and, for
 * every interface, each network address (the phone's URL).
 */
export function certificateNames (host: string): string[] {
  const names = ['localhost', '127.0.0.1', '::1']
  const listened = host.replace(/^\[(.*)\]$/, '$1')
  const more = isWildcard(host) ? networkAddresses(host) : [listened]
  return [...new Set([...names, ...more])]
}

/** `$XDG_CACHE_HOME/fastify-livereload`, else `~/.cache/fastify-livereload`. */
export function cacheDir (env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME !== undefined && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache')
  return join(base, 'fastify-livereload')
}

async function usersCertificate (certFile: string, keyFile: string): Promise<Certificate> {
  const cert = await readFlagFile('--cert', certFile)
  const key = await readFlagFile('--key', keyFile)
  const x509 = parse('--cert', certFile, () => new X509Certificate(cert))
  const privateKey = parse('--key', keyFile, () => createPrivateKey(key))
  if (!x509.checkPrivateKey(privateKey)) throw new UsageError(`--key: "${keyFile}" is not the private key of the --cert certificate "${certFile}"`)
  const isExpired = Date.parse(x509.validTo) < Date.now()
  return {
    key,
    cert,
    notes: [`HTTPS with your certificate ${displayPath(certFile)} (for ${x509.subjectAltName ?? 'no name: browsers need a subjectAltName'})`],
    warning: isExpired ? `your certificate expired on ${x509.validTo}: browsers refuse it` : null
  }
}

async function readFlagFile (flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`${flag}: cannot read "${file}" (${(err as NodeJS.ErrnoException).code})`)
  }
}

function parse<T> (flag: string, file: string, parser: () => T): T {
  try {
    return parser()
  } catch (err) {
    throw new UsageError(`${flag}: "${file}" is not a PEM ${flag === '--cert' ? 'certificate' : 'private key'} (${(err as Error).message})`)
  }
}

/**
 * mkcert's certificate, made anew on each start (it takes milliseconds, and follows the CA in
 * `CAROOT`); null where mkcert is not installed. mkcert says when its CA is not trusted yet.
 */
async function mkcertCertificate (dir: string, names: readonly string[], env: NodeJS.ProcessEnv): Promise<Certificate | null> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  let output: string
  try {
    output = await run('mkcert', ['-cert-file', certFile, '-key-file', keyFile, ...names], env)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new Error(`mkcert failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`)
  }
  const isTrusted = !/is not installed/.test(output)
  return {
    key: await readFile(keyFile, 'utf8'),
    cert: await readFile(certFile, 'utf8'),
    notes: [`HTTPS with mkcert's certificate for ${names.join(', ')}, signed by its local CA`],
    warning: isTrusted ? null : 'browsers warn about the certificate until you run `mkcert -install` (once per machine: it adds mkcert\'s CA to the trust stores)'
  }
}

/** Resolves with what the command printed on stdout and stderr; rejects with the error of a failed run. */
async function run (command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(Object.assign(err, { stderr }))
      else resolve(`${stdout}${stderr}`)
    })
  })
}

/** The cached self-signed certificate, or (expired, near its end, for other names, unreadable) a new one. */
async function selfSignedCertificate (dir: string, names: readonly string[]): Promise<Certificate> {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  const cached = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]).catch(() => null)
  const isReused = cached !== null && isReusable(cached[0], cached[1], names, Date.now())
  const [cert, key] = isReused ? cached : await makeSelfSigned(names)
  if (!isReused) {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeAtomically(keyFile, key, 0o600)
    await writeAtomically(certFile, cert, 0o644)
  }
  const validTo = new X509Certificate(cert).validTo
  return {
    key,
    cert,
    notes: [
      `HTTPS with a self-signed certificate (${isReused ? 'reused' : 'made now'}, valid until ${validTo}): ${displayPath(certFile)}`,
      'browsers warn about it until you trust that file (or install mkcert and run `mkcert -install`): see docs/cli.md'
    ],
    warning: null
  }
}

function isReusable (cert: string, key: string, names: readonly string[], now: number): boolean {
  let x509: X509Certificate
  let privateKey: KeyObject
  try {
    x509 = new X509Certificate(cert)
    privateKey = createPrivateKey(key)
  } catch {
    return false
  }
  if (Date.parse(x509.validFrom) > now || Date.parse(x509.validTo) - now < RENEW_BEFORE_MS) return false
  if (!x509.checkPrivateKey(privateKey)) return false // two starts at once each wrote one of the pair
  return names.every(name => isIP(name) === 0 ? x509.checkHost(name, { subject: 'never' }) !== undefined : x509.checkIP(name) !== undefined)
}

/** [cert, key] in PEM: an EC P-256 key (made in milliseconds, unlike RSA), for `names` only. */
async function makeSelfSigned (names: readonly string[]): Promise<[string, string]> {
  const { generate } = await import('selfsigned') // only when a certificate is made
  const notBeforeDate = new Date(Date.now() - 60_000) // a clock a little behind ours still accepts it
  const pems = await generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'fastify-livereload (self-signed, development)' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALID_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map(name => isIP(name) === 0 ? { type: 2 as const, value: name } : { type: 7 as const, ip: name }) }
    ]
  })
  return [pems.cert, pems.private]
}

/** A reader never sees half a file; `mode` holds even where the file existed with another. */
async function writeAtomically (file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, text, { mode })
  await chmod(temporary, mode) // writeFile's mode holds only for a file it creates: one left by a crash keeps its own
  await rename(temporary, file)
}
