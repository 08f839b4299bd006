import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'

/**
 * Configuration from the environment or a JSON file (`--config`), validated
 * once at start. Every problem is listed at once and nothing starts on a bad
 * config. Environment variables win over the file.
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const port = z.coerce.number().int().min(0).max(65535)
const positiveMs = z.coerce.number().int().min(1)

const ConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8600),
  db: z.string().min(1).default('./data/benefitkit.db'),
  dbSynchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
  clientId: z.string().min(1, { error: 'BENEFITKIT_CLIENT_ID is required: the Client-Id the platform gave you' }),
  privateKey: z.string().min(1, { error: 'BENEFITKIT_PRIVATE_KEY or BENEFITKIT_PRIVATE_KEY_FILE is required' }),
  keyVersion: z.coerce.string().regex(/^[A-Za-z0-9._-]{1,16}$/).default('1'),
  platformUrl: z.url({ error: 'BENEFITKIT_PLATFORM_URL must be the platform base URL, e.g. https://open.example.com' }),
  /** The platform's public keys by keyVersion; two at once during a rotation. */
  platformPublicKeys: z
    .record(z.string(), z.string().min(1))
    .refine((keys) => Object.keys(keys).length > 0, {
      error: 'BENEFITKIT_PLATFORM_PUBLIC_KEY or BENEFITKIT_PLATFORM_PUBLIC_KEY_FILE is required',
    }),
  /** keyVersion the platform signs with today (for logs and status). */
  adminToken: z.string().min(16, { error: 'BENEFITKIT_ADMIN_TOKEN must be at least 16 characters' }).optional(),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Prefix of the paths the platform calls (`/isv/benefit/issue` by default). */
  isvPathPrefix: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)*$/, { error: 'must be empty or a path like /benefitkit' })
    .default(''),
  /** Base URL printed into benefitUrl for URL-type benefits. */
  publicUrl: z.url().optional(),
  maxClockSkewMs: positiveMs.default(5 * 60_000),
  bodyLimitBytes: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  platformTimeoutMs: positiveMs.default(10_000),
  outboxConcurrency: z.coerce.number().int().min(1).max(256).default(16),
  /** Redemption API requests per second per API key (burst = 2 ×). */
  rateLimitPerSecond: z.coerce.number().int().min(1).default(200),
  /** Dev mode relaxes nothing about signatures; it only allows generated dev keys. */
  dev: z.boolean().default(false),
  /** How long a graceful stop may take (in-flight requests and deliveries) before connections are cut. */
  shutdownTimeoutMs: positiveMs.default(10_000),
  /** Serve /metrics without the admin token (for a scraper on a private network). */
  metricsPublic: z.boolean().default(false),
})

export type Config = Readonly<z.infer<typeof ConfigSchema>>
export type ConfigInput = z.input<typeof ConfigSchema>

type Env = Record<string, string | undefined>

function readKeyFile(path: string, variable: string, problems: string[]): string | undefined {
  try {
    return readFileSync(resolve(path), 'utf8')
  } catch (error) {
    problems.push(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    return undefined
  }
}

/** Turns BENEFITKIT_* variables into config fields; `""` counts as unset. */
function fromEnv(env: Env, problems: string[]): Record<string, unknown> {
  const get = (name: string) => {
    const value = env[`BENEFITKIT_${name}`]
    return value === undefined || value === '' ? undefined : value
  }
  const out: Record<string, unknown> = {
    host: get('HOST'),
    port: get('PORT'),
    db: get('DB'),
    dbSynchronous: get('DB_SYNCHRONOUS'),
    clientId: get('CLIENT_ID'),
    keyVersion: get('KEY_VERSION'),
    platformUrl: get('PLATFORM_URL'),
    adminToken: get('ADMIN_TOKEN'),
    logLevel: get('LOG_LEVEL'),
    isvPathPrefix: get('ISV_PATH_PREFIX'),
    publicUrl: get('PUBLIC_URL'),
    maxClockSkewMs: get('MAX_CLOCK_SKEW_MS'),
    bodyLimitBytes: get('BODY_LIMIT_BYTES'),
    platformTimeoutMs: get('PLATFORM_TIMEOUT_MS'),
    outboxConcurrency: get('OUTBOX_CONCURRENCY'),
    rateLimitPerSecond: get('RATE_LIMIT_PER_SECOND'),
  }
  const privateKeyFile = get('PRIVATE_KEY_FILE')
  out.privateKey = get('PRIVATE_KEY') ?? (privateKeyFile ? readKeyFile(privateKeyFile, 'BENEFITKIT_PRIVATE_KEY_FILE', problems) : undefined)

  const keys: Record<string, string> = {}
  const currentVersion = get('PLATFORM_KEY_VERSION') ?? '1'
  const publicFile = get('PLATFORM_PUBLIC_KEY_FILE')
  const current = get('PLATFORM_PUBLIC_KEY') ?? (publicFile ? readKeyFile(publicFile, 'BENEFITKIT_PLATFORM_PUBLIC_KEY_FILE', problems) : undefined)
  if (current) keys[currentVersion] = current
  // During a rotation the platform's next key is valid alongside the current one.
  const nextVersion = get('PLATFORM_NEXT_KEY_VERSION')
  const nextFile = get('PLATFORM_NEXT_PUBLIC_KEY_FILE')
  const next = get('PLATFORM_NEXT_PUBLIC_KEY') ?? (nextFile ? readKeyFile(nextFile, 'BENEFITKIT_PLATFORM_NEXT_PUBLIC_KEY_FILE', problems) : undefined)
  if (next) {
    if (!nextVersion) problems.push('BENEFITKIT_PLATFORM_NEXT_KEY_VERSION is required with BENEFITKIT_PLATFORM_NEXT_PUBLIC_KEY')
    else keys[nextVersion] = next
  }
  if (Object.keys(keys).length) out.platformPublicKeys = keys
  if (get('DEV') !== undefined) out.dev = get('DEV') === '1' || get('DEV') === 'true'
  out.shutdownTimeoutMs = get('SHUTDOWN_TIMEOUT_MS')
  if (get('METRICS') !== undefined) out.metricsPublic = get('METRICS') === '1' || get('METRICS') === 'true'
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined))
}

function fromFile(path: string, problems: string[]): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(resolve(path), 'utf8'))
  } catch (error) {
    problems.push(`--config ${path}: ${(error as Error).message}`)
    return {}
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`--config ${path}: must hold a JSON object`)
    return {}
  }
  const out = { ...(parsed as Record<string, unknown>) }
  // Files may name key files instead of embedding keys.
  if (typeof out.privateKeyFile === 'string' && out.privateKey === undefined) {
    out.privateKey = readKeyFile(out.privateKeyFile, 'privateKeyFile', problems)
  }
  if (typeof out.platformPublicKeyFile === 'string' && out.platformPublicKeys === undefined) {
    const key = readKeyFile(out.platformPublicKeyFile, 'platformPublicKeyFile', problems)
    if (key) out.platformPublicKeys = { [String(out.platformKeyVersion ?? '1')]: key }
  }
  if (typeof out.platformPublicKey === 'string' && out.platformPublicKeys === undefined) {
    out.platformPublicKeys = { [String(out.platformKeyVersion ?? '1')]: out.platformPublicKey }
  }
  for (const k of ['privateKeyFile', 'platformPublicKeyFile', 'platformPublicKey', 'platformKeyVersion']) delete out[k]
  return out
}

export interface LoadConfigOptions {
  /** Defaults to process.env; tests pass their own. */
  env?: Env
  /** A JSON config file; the environment overrides what it says. */
  file?: string
  /** Values that win over both (used by `pnpm start` for its dev setup). */
  overrides?: ConfigInput | Record<string, unknown>
}

/** Loads, validates and freezes the configuration, or throws a ConfigError listing every problem. */
export function loadConfig({ env = process.env, file, overrides = {} }: LoadConfigOptions = {}): Config {
  const problems: string[] = []
  const merged = { ...(file ? fromFile(file, problems) : {}), ...fromEnv(env, problems), ...overrides }
  const result = ConfigSchema.safeParse(merged)
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = issue.path.join('.')
      const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message)
      problems.push(missing ? `${field}: is required (${envNameOf(field)})` : `${field}: ${issue.message}`)
    }
  }
  if (problems.length) throw new ConfigError(problems)
  return Object.freeze(result.data!)
}

function envNameOf(field: string): string {
  const special: Record<string, string> = {
    privateKey: 'BENEFITKIT_PRIVATE_KEY or BENEFITKIT_PRIVATE_KEY_FILE',
    platformPublicKeys: 'BENEFITKIT_PLATFORM_PUBLIC_KEY or BENEFITKIT_PLATFORM_PUBLIC_KEY_FILE',
  }
  return special[field] ?? `BENEFITKIT_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}
