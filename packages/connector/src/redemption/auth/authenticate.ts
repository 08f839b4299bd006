import { HMAC_SCHEME, hmacMatches, parseHmacParameters } from './hmac.js'
import type { ApiKeyCache, CachedApiKey } from './key-cache.js'
import type { PendingNonce } from './nonces.js'
import type { UserTokens } from './user-tokens.js'
import { RedemptionError, unauthenticated } from '../errors.js'

/** Who is calling. Tokens act for the API key that issued them. */
export interface Principal {
  kind: 'apiKey' | 'token'
  keyId: string
  /** The user a token is scoped to; undefined for an API key. */
  userId: string | undefined
  /** Signed requests: the nonce the caller still has to record (replay guard). */
  nonce: PendingNonce | undefined
}

export interface AuthRequest {
  method: string
  /** Path and query exactly as in the request line: they are signed. */
  path: string
  authorization: string | undefined
  rawBody: Buffer
}

export interface AuthenticatorOptions {
  keys: ApiKeyCache
  /** The token signer; a promise until its secret is loaded once. */
  tokens: () => UserTokens | Promise<UserTokens>
  maxClockSkewMs: number
  now: () => number
  /** Told about each authenticated key (throttled `last_used_at`). */
  onKeyUsed?: (keyId: string, now: number) => void
}

const HMAC_PREFIX = `${HMAC_SCHEME} `
const BEARER_PREFIX = 'Bearer '

/**
 * Checks the Authorization header: an HMAC-signed request with an API key, or
 * a user token. Everything here is memory and CPU; the only database work of
 * authentication (recording the nonce) is left to the caller so it can join
 * the request's own transaction.
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions

  constructor(options: AuthenticatorOptions) {
    this.#options = options
  }

  async authenticate(request: AuthRequest): Promise<Principal> {
    const header = request.authorization
    if (!header) {
      throw unauthenticated('Authorization header is missing: sign with an API key (BK-HMAC-SHA256) or send Bearer <user token>')
    }
    if (header.startsWith(HMAC_PREFIX)) return this.#apiKey(request, header.slice(HMAC_PREFIX.length))
    if (header.startsWith(BEARER_PREFIX)) return this.#token(header.slice(BEARER_PREFIX.length).trim())
    throw unauthenticated(`unsupported Authorization scheme: use ${HMAC_SCHEME} or Bearer`)
  }

  async #apiKey(request: AuthRequest, parameters: string): Promise<Principal> {
    const { maxClockSkewMs, now: clock } = this.#options
    const credentials = parseHmacParameters(parameters)
    const now = clock()
    const skew = Math.abs(now - credentials.ts)
    if (skew > maxClockSkewMs) {
      throw unauthenticated(
        `ts is ${Math.round(skew / 1000)} s away from the connector's clock (limit ${Math.round(maxClockSkewMs / 1000)} s): sign with the current time`,
      )
    }
    const key = await this.#usableKey(credentials.keyId, `API key ${credentials.keyId}`)
    if (!hmacMatches(key.hmacKey, request.method, request.path, credentials, request.rawBody)) {
      throw unauthenticated(
        'signature does not match: sig = base64url(HMAC-SHA256(SHA-256(secret), METHOD\\nPATH\\nts\\nnonce\\nbody)) over the exact bytes sent',
      )
    }
    this.#options.onKeyUsed?.(key.id, now)
    return {
      kind: 'apiKey',
      keyId: key.id,
      userId: undefined,
      // The nonce matters only while its ts passes the window check above.
      nonce: { keyId: key.id, nonce: credentials.nonce, expiresAt: credentials.ts + maxClockSkewMs },
    }
  }

  async #token(token: string): Promise<Principal> {
    const signer = await this.#options.tokens()
    const now = this.#options.now()
    const claims = signer.verify(token, now)
    // A token dies with its key.
    const key = await this.#usableKey(claims.keyId, 'the API key that issued this user token')
    this.#options.onKeyUsed?.(key.id, now)
    return { kind: 'token', keyId: key.id, userId: claims.userId, nonce: undefined }
  }

  async #usableKey(id: string, what: string): Promise<CachedApiKey> {
    const key = await this.#options.keys.get(id)
    if (!key) throw unauthenticated(`${what} is unknown`)
    if (key.revoked) throw unauthenticated(`${what} is revoked`)
    return key
  }
}

/** Routes that only a server holding an API key may call. */
export function requireApiKey(principal: Principal): void {
  if (principal.kind !== 'apiKey') throw new RedemptionError('FORBIDDEN', 'this call needs an API key: user tokens cannot make it')
}
