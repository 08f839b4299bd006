import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { unauthenticated } from '../errors.js'

/**
 * Short-lived user tokens (docs/redemption-api.md, "User tokens"):
 * `bkt_<payload>.<mac>`, both base64url. The payload names the API key that
 * asked for it, the expiry and the user; the MAC is HMAC-SHA256 under a server
 * secret. Verifying needs no database work: only the issuing key's revocation
 * is looked up, in the key cache.
 */

export const TOKEN_PREFIX = 'bkt_'
const VERSION = '1'
const SECRET_SETTING = 'redemption.user_token_secret'

export interface UserTokenClaims {
  keyId: string
  userId: string
  expiresAt: number
}

export class UserTokens {
  readonly #secret: Buffer
  /**
   * Tokens already verified: a mini program sends the same token for many
   * requests, and a hit skips the MAC and the decoding. Only the expiry is
   * checked again. Bounded; cleared when full.
   */
  readonly #verified = new Map<string, UserTokenClaims>()
  readonly #maxVerified: number

  constructor(secret: Buffer, maxVerified = 10_000) {
    this.#secret = secret
    this.#maxVerified = maxVerified
  }

  issue(claims: UserTokenClaims): string {
    // keyId is [A-Za-z0-9]+ and expiresAt digits, so the first three dots split
    // the payload even when the user id contains dots.
    const payload = Buffer.from(`${VERSION}.${claims.keyId}.${claims.expiresAt}.${claims.userId}`, 'utf8').toString('base64url')
    return `${TOKEN_PREFIX}${payload}.${this.#mac(payload).toString('base64url')}`
  }

  /** The token's claims; a forged, malformed or expired token is a 401 that says which. */
  verify(token: string, now: number): UserTokenClaims {
    const known = this.#verified.get(token)
    if (known) return notExpired(known, now)
    const claims = notExpired(this.#check(token), now)
    if (this.#verified.size >= this.#maxVerified) this.#verified.clear()
    this.#verified.set(token, claims)
    return claims
  }

  #check(token: string): UserTokenClaims {
    const dot = token.lastIndexOf('.')
    if (!token.startsWith(TOKEN_PREFIX) || dot < 0) throw unauthenticated('not a user token: expected Bearer bkt_…')
    const payload = token.slice(TOKEN_PREFIX.length, dot)
    const given = Buffer.from(token.slice(dot + 1), 'base64url')
    const expected = this.#mac(payload)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw unauthenticated('user token is invalid (not issued by this connector, or altered)')
    }
    const claims = parsePayload(Buffer.from(payload, 'base64url').toString('utf8'))
    if (!claims) throw unauthenticated('user token is invalid (unknown format)')
    return claims
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#secret).update(payload, 'utf8').digest()
  }
}

function notExpired(claims: UserTokenClaims, now: number): UserTokenClaims {
  if (now >= claims.expiresAt) {
    throw unauthenticated(`user token expired at ${new Date(claims.expiresAt).toISOString()}: ask your server for a new one`)
  }
  return claims
}

function parsePayload(text: string): UserTokenClaims | undefined {
  const [version, keyId, expiresAt] = text.split('.', 3)
  if (version !== VERSION || !keyId || !expiresAt || !/^\d+$/.test(expiresAt)) return undefined
  const userId = text.slice(version.length + keyId.length + expiresAt.length + 3)
  if (!userId) return undefined
  return { keyId, userId, expiresAt: Number(expiresAt) }
}

/**
 * The server secret that signs user tokens: generated on first use and kept in
 * `settings`, so tokens survive restarts. Insert-if-absent then read, so two
 * processes starting together agree on one secret.
 */
export async function loadUserTokenSecret(db: Kysely<Database>): Promise<Buffer> {
  await db
    .insertInto('settings')
    .values({ key: SECRET_SETTING, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
  const row = await db.selectFrom('settings').select('value').where('key', '=', SECRET_SETTING).executeTakeFirstOrThrow()
  return Buffer.from(row.value, 'base64url')
}
