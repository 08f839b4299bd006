/**
 * The sandbox's options, checked once: every problem is listed together, keys
 * are parsed once (a key parsed per call costs 3–8 ×), and the result is frozen.
 */
import { z } from 'zod'
import { loadPrivateKey, loadPublicKey, PublicKeyring, type PrivateKey, type PublicKey, type SigningKey } from '@benefitkit/shared/signing'
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '@benefitkit/shared'
import { SandboxConfigError } from './errors.js'
import type { SandboxEventListener } from './events.js'
import { REVIEW_OUTCOMES, type ReviewOutcome } from './state.js'

export interface SandboxOptions {
  /** Listen address; default `127.0.0.1` (the control API has no authentication: keep it on loopback). */
  host?: string
  /** Listen port; default 0 (any free port, read it from `start()` or `url`). */
  port?: number
  /** The ISV's Client-Id at the platform: requests with another one are INVALID_CLIENT. */
  clientId: string
  /** The platform's private key (bare base64 PKCS#8/PKCS#1, PEM, or a loaded key); signs every answer and call. */
  platformPrivateKey: string | PrivateKey
  /** The keyVersion the ISV knows the platform's key by; default `1`. */
  platformKeyVersion?: string | number
  /**
   * The ISV's public keys by keyVersion (two during a rotation): verify its
   * requests and its answers. A keyring, or `{ '1': base64OrPem, '2': … }`.
   */
  isvPublicKeys: PublicKeyring | Readonly<Record<string, string | PublicKey>>
  /**
   * Where the connector answers, e.g. `http://127.0.0.1:8600` (a path prefix is
   * kept). ISV paths are `benefitApis.*.path` under it. May be set later with
   * `setIsvBaseUrl()`; calls to the ISV fail until it is known.
   */
  isvBaseUrl?: string
  /** How long a review takes after syncBenefit is accepted; default 200 ms. */
  reviewDelayMs?: number
  /** How reviews end unless set per template; default `APPROVE`. */
  reviewOutcome?: ReviewOutcome
  /** Release templates as soon as they are approved (for demos); default false. */
  autoRelease?: boolean
  /** issueBenefit retries after the first attempt on U / non-200 / timeout / bad signature; default 3. */
  issueRetries?: number
  /** inquireBenefitIssue retries when the inquiry itself is unknown; default 1. */
  inquireRetries?: number
  /** reverseBenefitIssue retries on U; default 3. */
  reverseRetries?: number
  /** First wait between retries of one call; doubles per retry up to `retryBackoffMaxMs`. Default 100 / 2000 ms. */
  retryBackoffMs?: number
  retryBackoffMaxMs?: number
  /**
   * Waits between notifyBenefitSync attempts; the last one repeats until the ISV
   * acknowledges. Default [200, 1000, 5000, 15000, 60000] ms.
   */
  notifyRetryScheduleMs?: readonly number[]
  /** Stop notifying after this many attempts (state GAVE_UP, event `notify-gave-up`); default: never stop. */
  notifyMaxAttempts?: number
  /** Timeout of each call to the ISV; default 5000 ms. */
  requestTimeoutMs?: number
  /** Freshness window of Request-Time; default 5 minutes. */
  maxSkewMs?: number
  /**
   * syncUsedBenefit for an instance the sandbox never saw issued (e.g. issued
   * before a sandbox restart): `accept` (default; recorded with knownInstance
   * false) or `reject` (BIZ_ERROR_NO_RETRY).
   */
  unknownInstance?: 'accept' | 'reject'
  /** How many call records to keep; default 10 000. */
  maxCallRecords?: number
  /** Called for every event (each call, review, release, …). */
  onEvent?: SandboxEventListener
  /** Random source for probability faults (tests make it deterministic). */
  random?: () => number
}

export interface ResolvedOptions {
  readonly host: string
  readonly port: number
  readonly clientId: string
  readonly signingKey: SigningKey
  readonly isvKeyring: PublicKeyring
  readonly isvBaseUrl: string | undefined
  readonly reviewDelayMs: number
  readonly reviewOutcome: ReviewOutcome
  readonly autoRelease: boolean
  readonly issueRetries: number
  readonly inquireRetries: number
  readonly reverseRetries: number
  readonly retryBackoffMs: number
  readonly retryBackoffMaxMs: number
  readonly notifyRetryScheduleMs: readonly number[]
  readonly notifyMaxAttempts: number | undefined
  readonly requestTimeoutMs: number
  readonly maxSkewMs: number
  readonly unknownInstance: 'accept' | 'reject'
  readonly maxCallRecords: number
  readonly onEvent: SandboxEventListener | undefined
  readonly random: () => number
}

const ms = z.int({ error: 'must be a whole number of milliseconds' }).min(0, { error: 'must not be negative' })
const count = z.int({ error: 'must be a whole number' }).min(0, { error: 'must not be negative' }).max(100, { error: 'at most 100' })

const Scalars = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.int().min(0).max(65535).default(0),
  clientId: z.string({ error: 'is required (the ISV\'s Client-Id)' }).min(1).max(64),
  platformKeyVersion: z.union([z.string().min(1).max(16), z.int().min(0)]).default('1'),
  isvBaseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8600' }).optional(),
  reviewDelayMs: ms.default(200),
  reviewOutcome: z.enum(REVIEW_OUTCOMES).default('APPROVE'),
  autoRelease: z.boolean().default(false),
  issueRetries: count.default(3),
  inquireRetries: count.default(1),
  reverseRetries: count.default(3),
  retryBackoffMs: ms.default(100),
  retryBackoffMaxMs: ms.default(2000),
  notifyRetryScheduleMs: z.array(ms).min(1, { error: 'needs at least one wait' }).default([200, 1000, 5000, 15_000, 60_000]),
  notifyMaxAttempts: z.int().min(1).optional(),
  requestTimeoutMs: z.int().min(1).default(5000),
  maxSkewMs: z.int().min(1).default(DEFAULT_MAX_CLOCK_SKEW_MS),
  unknownInstance: z.enum(['accept', 'reject']).default('accept'),
  maxCallRecords: z.int().min(1).default(10_000),
})

function loadKeys(options: SandboxOptions, problems: string[]): { signingKey?: PrivateKey; keyring?: PublicKeyring } {
  const out: { signingKey?: PrivateKey; keyring?: PublicKeyring } = {}
  if (options.platformPrivateKey === undefined) problems.push('platformPrivateKey: is required (the platform\'s private key)')
  else {
    try {
      out.signingKey = typeof options.platformPrivateKey === 'string' ? loadPrivateKey(options.platformPrivateKey) : options.platformPrivateKey
    } catch (error) {
      problems.push(`platformPrivateKey: ${(error as Error).message}`)
    }
  }
  const keys = options.isvPublicKeys
  if (keys === undefined) problems.push('isvPublicKeys: is required (the ISV\'s public key by keyVersion)')
  else if (isKeyring(keys)) out.keyring = keys
  else {
    const entries: Array<[string, PublicKey]> = []
    for (const [version, key] of Object.entries(keys)) {
      try {
        entries.push([version, typeof key === 'string' ? loadPublicKey(key) : key])
      } catch (error) {
        problems.push(`isvPublicKeys.${version}: ${(error as Error).message}`)
      }
    }
    if (Object.keys(keys).length === 0) problems.push('isvPublicKeys: needs at least one key')
    else if (entries.length === Object.keys(keys).length) out.keyring = new PublicKeyring(entries)
  }
  return out
}

/**
 * A keyring by shape, not `instanceof`: a caller may load @benefitkit/shared
 * from dist while the sandbox runs from source, and the class would differ.
 */
function isKeyring(keys: object): keys is PublicKeyring {
  return typeof (keys as PublicKeyring).verify === 'function' && Array.isArray((keys as PublicKeyring).versions)
}

export function resolveOptions(options: SandboxOptions): ResolvedOptions {
  const problems: string[] = []
  const scalars = Scalars.safeParse(options)
  if (!scalars.success) {
    for (const issue of scalars.error.issues) problems.push(`${issue.path.map(String).join('.')}: ${issue.message}`)
  }
  const { signingKey, keyring } = loadKeys(options, problems)
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') problems.push('onEvent: must be a function')
  if (!scalars.success || !signingKey || !keyring || problems.length > 0) throw new SandboxConfigError(problems)

  const s = scalars.data
  return Object.freeze({
    host: s.host,
    port: s.port,
    clientId: s.clientId,
    signingKey: Object.freeze({ keyVersion: String(s.platformKeyVersion), privateKey: signingKey }),
    isvKeyring: keyring,
    isvBaseUrl: s.isvBaseUrl === undefined ? undefined : normalizeBaseUrl(s.isvBaseUrl),
    reviewDelayMs: s.reviewDelayMs,
    reviewOutcome: s.reviewOutcome,
    autoRelease: s.autoRelease,
    issueRetries: s.issueRetries,
    inquireRetries: s.inquireRetries,
    reverseRetries: s.reverseRetries,
    retryBackoffMs: s.retryBackoffMs,
    retryBackoffMaxMs: Math.max(s.retryBackoffMs, s.retryBackoffMaxMs),
    notifyRetryScheduleMs: Object.freeze([...s.notifyRetryScheduleMs]),
    notifyMaxAttempts: s.notifyMaxAttempts,
    requestTimeoutMs: s.requestTimeoutMs,
    maxSkewMs: s.maxSkewMs,
    unknownInstance: s.unknownInstance,
    maxCallRecords: s.maxCallRecords,
    onEvent: options.onEvent,
    random: options.random ?? Math.random,
  })
}

/** Without a trailing slash, so `base + '/isv/benefit/issue'` never doubles it. */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, '')
}

/** The wait before retry `n` (1 = the first retry): doubling from `first`, capped. */
export function backoffMs(n: number, first: number, max: number): number {
  return Math.min(max, first * 2 ** Math.max(0, n - 1))
}
