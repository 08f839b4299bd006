import type { RedemptionQueries } from '../queries.js'
import type { QueryRunner } from '../../db/prepared.js'

export interface CachedApiKey {
  id: string
  /** SHA-256(secret) as 32 raw bytes: the HMAC key of signed requests. */
  hmacKey: Buffer
  revoked: boolean
}

interface Entry {
  key: CachedApiKey | undefined
  loadedAt: number
}

export interface ApiKeyCacheOptions {
  /** How long a row is trusted without reading it again; bounds how late a revocation bites. */
  ttlMs?: number
  /** Unknown ids are remembered too (so guessing ids costs no DB reads), up to this many. */
  maxEntries?: number
  now: () => number
}

/**
 * API-key rows in memory, so an authenticated request needs no database read
 * on the hot path. Each entry is trusted for `ttlMs` (1 s): a key revoked by
 * `benefitkit apikeys revoke` in another process is refused within 1 s, and
 * the tokens it issued with it. Concurrent misses share one read.
 */
export class ApiKeyCache {
  readonly #entries = new Map<string, Entry>()
  readonly #loading = new Map<string, Promise<CachedApiKey | undefined>>()
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(
    readonly runner: QueryRunner,
    readonly queries: RedemptionQueries,
    options: ApiKeyCacheOptions,
  ) {
    this.#ttlMs = options.ttlMs ?? 1000
    this.#maxEntries = options.maxEntries ?? 10_000
    this.#now = options.now
  }

  /** The key, or undefined when no key has this id. Revoked keys come back with `revoked: true`. */
  get(id: string): Promise<CachedApiKey | undefined> | CachedApiKey | undefined {
    const entry = this.#entries.get(id)
    const now = this.#now()
    // A clock that went backwards makes the entry stale rather than fresh for longer.
    if (entry && now >= entry.loadedAt && now - entry.loadedAt < this.#ttlMs) return entry.key
    return this.#load(id)
  }

  /** Forgets a key at once (an in-process revocation need not wait for the TTL). */
  invalidate(id: string): void {
    this.#entries.delete(id)
  }

  #load(id: string): Promise<CachedApiKey | undefined> {
    const pending = this.#loading.get(id)
    if (pending) return pending
    const loadedAt = this.#now()
    const loading = this.queries.apiKeyById
      .run(this.runner, { id })
      .then(({ rows }) => {
        const row = rows[0]
        const key: CachedApiKey | undefined = row
          ? { id: row.id, hmacKey: Buffer.from(row.secret_hash, 'hex'), revoked: row.revoked_at !== null }
          : undefined
        if (this.#entries.size >= this.#maxEntries) this.#entries.clear()
        this.#entries.set(id, { key, loadedAt })
        return key
      })
      .finally(() => this.#loading.delete(id))
    this.#loading.set(id, loading)
    return loading
  }
}
