// The certificate of `--https`: the user's files (`--cert`, `--key`), or one made for this
// machine's names. mkcert's where mkcert is installed (browsers trust it once `mkcert -install`
// has run), else a self-signed one, kept in the user's cache directory and reused while it is
// valid, for exactly the names asked for, and kept where no one else could have read or planted it.
import { execFile } from 'node:child_process'
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { chmod, lstat, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { displayPath } from '../paths.js'
import type { HttpsRequest } from './args.js'
import { UsageError } from './usage.js'
import { isWildcard, networkAddresses } from './listen.js'
import { isOpenToOthers, isOwn, NotPemFile, privateDir, readPemFile } from './pem-files.js'

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
    return await readPemFile(file)
  } catch (err) {
    if (err instanceof NotPemFile) throw new UsageError(`${flag}: "${file}" ${err.reason}`)
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
 * `CAROOT`); null where mkcert is not installed. mkcert says when its CA is not trusted yet. It
 * writes into a private directory, emptied first: mkcert writes through a file it finds there,
 * keeping that file's owner and mode. Where `dir` cannot be private, a temporary one serves.
 */
async function mkcertCertificate (dir: string, names: readonly string[], env: NodeJS.ProcessEnv): Promise<Certificate | null> {
  const place = await privateDir(dir)
  const where = place.isUsable ? dir : await mkdtemp(join(tmpdir(), 'fastify-livereload-'))
  const certFile = join(where, 'cert.pem')
  const keyFile = join(where, 'key.pem')
  try {
    await Promise.all([rm(certFile, { force: true }), rm(keyFile, { force: true })])
    let output: string
    try {
      output = await run('mkcert', ['-cert-file', certFile, '-key-file', keyFile, ...names], env)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new Error(`mkcert failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`)
    }
    const isTrusted = !/is not installed/.test(output)
    const untrusted = 'browsers warn about the certificate until you run `mkcert -install` (once per machine: it adds mkcert\'s CA to the trust stores)'
    return {
      key: await readPemFile(keyFile),
      cert: await readPemFile(certFile),
      notes: [`HTTPS with mkcert's certificate for ${names.join(', ')}, signed by its local CA`],
      warning: [place.problem, isTrusted ? null : untrusted].filter(text => text !== null).join('; ') || null
    }
  } finally {
    if (!place.isUsable) await rm(where, { recursive: true, force: true })
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

/**
 * The cached self-signed certificate, or a new one: when the cached pair is missing, unreadable,
 * not one this command would make (expired or near its end, for other names, a CA, not
 * self-signed, not a pair), or kept where someone else may have read or planted it (a directory
 * or key open to others, files that are links or another user's). A cached pair found and not
 * reused is said in a line; one that was not private, in a warning. Where the directory cannot be
 * private (another user's, a link), the certificate is made for this run only and not kept.
 */
async function selfSignedCertificate (dir: string, names: readonly string[]): Promise<Certificate> {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  const place = await privateDir(dir)
  if (!place.isUsable) {
    const [cert, key] = await makeSelfSigned(names)
    return {
      key,
      cert,
      notes: [
        `HTTPS with a self-signed certificate (made for this run only, valid until ${new X509Certificate(cert).validTo})`,
        'browsers warn about it: it changes on each start until the cache directory is yours again'
      ],
      warning: `${place.problem!}: no certificate is kept there`
    }
  }
  // A key found in a directory others could enter may have been read, or put there: never reused.
  const cached = place.problem === null ? await readCached(certFile, keyFile, names, Date.now()) : { pair: null, refusal: place.problem, isSuspicious: true }
  const isReused = cached.pair !== null
  const [cert, key] = cached.pair ?? await makeSelfSigned(names)
  if (!isReused) {
    await writeAtomically(keyFile, key, 0o600)
    await writeAtomically(certFile, cert, 0o644)
  }
  const refused = cached.refusal === null ? null : `the cached certificate in ${displayPath(dir)} was not reused, a new one was made: ${cached.refusal}`
  return {
    key,
    cert,
    notes: [
      `HTTPS with a self-signed certificate (${isReused ? 'reused' : 'made now'}, valid until ${new X509Certificate(cert).validTo}): ${displayPath(certFile)}`,
      'browsers warn about it until you trust that file (or install mkcert and run `mkcert -install`): see docs/cli.md',
      ...(refused !== null && !cached.isSuspicious ? [refused] : [])
    ],
    warning: cached.isSuspicious ? refused : null
  }
}

interface Cached {
  /** [cert, key], to reuse; null when there is none to. */
  pair: [string, string] | null
  /** Why a pair found is not reused; null when there was none, or it is. */
  refusal: string | null
  /** The refusal says the files were not private, or not ones this command makes: a warning. */
  isSuspicious: boolean
}

/** The pair kept in the cache, if it is one to reuse (selfSignedCertificate says when). */
async function readCached (certFile: string, keyFile: string, names: readonly string[], now: number): Promise<Cached> {
  const none: Cached = { pair: null, refusal: null, isSuspicious: false }
  const refuse = (refusal: string, isSuspicious = false): Cached => ({ pair: null, refusal, isSuspicious })
  const stats = await Promise.all([lstat(certFile), lstat(keyFile)]).catch(() => null)
  if (stats === null) return none // not made yet, or half of a pair: nothing to say
  const [certStats, keyStats] = stats
  if (!certStats.isFile() || !keyStats.isFile()) return refuse('cert.pem or key.pem is not a regular file (a link?)', true)
  if (!isOwn(certStats) || !isOwn(keyStats)) return refuse('cert.pem or key.pem belongs to another user', true)
  if (isOpenToOthers(keyStats, 0o077)) return refuse(`key.pem was readable by others (mode ${(keyStats.mode & 0o777).toString(8)})`, true)
  if (isOpenToOthers(certStats, 0o022)) return refuse(`cert.pem was writable by others (mode ${(certStats.mode & 0o777).toString(8)})`, true)
  let cert: string
  let key: string
  let x509: X509Certificate
  let privateKey: KeyObject
  try {
    [cert, key] = await Promise.all([readPemFile(certFile), readPemFile(keyFile)])
    x509 = new X509Certificate(cert)
    privateKey = createPrivateKey(key)
  } catch (err) {
    return refuse(`it cannot be read (${(err as Error).message})`)
  }
  if (x509.ca) return refuse('it is a CA certificate, which could vouch for any site', true)
  if (x509.issuer !== x509.subject || !x509.verify(x509.publicKey)) return refuse('it is not self-signed: not one this command made', true)
  if (!hasExactly(x509, names)) return refuse(`it is for ${x509.subjectAltName ?? 'no name'}, not for ${names.join(', ')} alone`, x509.subjectAltName?.includes('*') === true)
  if (!x509.checkPrivateKey(privateKey)) return refuse('key.pem is not its key') // two starts at once each wrote one of the pair
  if (Date.parse(x509.validFrom) > now) return refuse(`it is valid from ${x509.validFrom} only`)
  if (Date.parse(x509.validTo) - now < RENEW_BEFORE_MS) return refuse(`it ${Date.parse(x509.validTo) < now ? 'expired' : 'expires'} on ${x509.validTo}`)
  return { pair: [cert, key], refusal: null, isSuspicious: false }
}

/**
 * Whether the certificate names `names` and nothing else: as many subjectAltName entries, each
 * name among them, no wildcard (Node quotes a value with a comma, so the entries split on ", ").
 */
function hasExactly (x509: X509Certificate, names: readonly string[]): boolean {
  const entries = x509.subjectAltName?.split(', ') ?? []
  if (entries.length !== names.length || entries.some(entry => entry.includes('*'))) return false
  return names.every(name => isIP(name) === 0 ? x509.checkHost(name, { subject: 'never', wildcards: false }) !== undefined : x509.checkIP(name) !== undefined)
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

/**
 * A reader never sees half a file; `mode` holds whatever was there (a file, or a link, left under
 * the temporary name is removed, and the file is created anew: never written through).
 */
async function writeAtomically (file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`
  await rm(temporary, { force: true })
  await writeFile(temporary, text, { mode, flag: 'wx' })
  await chmod(temporary, mode) // the umask may have taken bits off
  await rename(temporary, file)
}
