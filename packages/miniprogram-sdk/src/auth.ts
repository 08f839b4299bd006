/**
 * Turns the `auth` option into an `Authorization` header per attempt.
 *
 * - `{ apiKey }`: server side. Every attempt is signed with a fresh ts + nonce, because the
 *   connector refuses a nonce it has already seen.
 * - `{ token }`: a user token the mini program got from its own server.
 * - `{ getToken }`: the same, fetched lazily and cached; after a 401 the client drops the cached
 *   token and asks once more.
 */
import { BenefitKitError } from './errors.js'
import { apiKeyId, createHmacSigner } from './hmac.js'
import { base64url } from './base64url.js'
import { getCrypto, randomBytes, type CryptoLike } from './random.js'

export type Auth =
  | { apiKey: string }
  | { token: string }
  | { getToken: () => Promise<string> | string }

export interface Credential {
  /** The `Authorization` header value. */
  header: string
  /** Present when the credential can be replaced: forget it so the next `authorize` fetches a new one. */
  invalidate?: () => void
}

export interface Authorizer {
  readonly kind: 'apiKey' | 'token'
  authorize(method: string, path: string, body: string): Promise<Credential>
}

export interface AuthorizerDeps {
  now: () => number
  crypto?: CryptoLike | undefined
}

export function createAuthorizer(auth: Auth, deps: AuthorizerDeps): Authorizer {
  if (auth && 'apiKey' in auth) return apiKeyAuthorizer(auth.apiKey, deps)
  if (auth && 'getToken' in auth && typeof auth.getToken === 'function') return tokenProviderAuthorizer(auth.getToken)
  if (auth && 'token' in auth && typeof auth.token === 'string' && auth.token !== '') {
    const credential: Credential = { header: `Bearer ${auth.token}` }
    return { kind: 'token', authorize: () => Promise.resolve(credential) }
  }
  throw new TypeError('auth must be { apiKey }, { token } or { getToken }')
}

function apiKeyAuthorizer(apiKey: string, deps: AuthorizerDeps): Authorizer {
  const keyId = typeof apiKey === 'string' ? apiKeyId(apiKey) : undefined
  // The message never quotes the value: it may be a real secret pasted into the wrong place.
  if (!keyId) throw new TypeError('auth.apiKey must be an API-key secret of the form bk_<keyId>_<secret>')
  const cryptoImpl = deps.crypto ?? getCrypto()
  const subtle = cryptoImpl?.subtle
  if (!subtle || typeof TextEncoder !== 'function') {
    throw new TypeError(
      'API-key auth needs WebCrypto (crypto.subtle) and TextEncoder; it is meant for your server. ' +
        'In a mini program use { token } or { getToken } with a user token from POST /v1/user-tokens.',
    )
  }
  const encoder = new TextEncoder()
  const signer = createHmacSigner(apiKey, keyId, subtle, (s) => encoder.encode(s))
  return {
    kind: 'apiKey',
    async authorize(method, path, body) {
      // 16 random bytes → 22 base64url characters, inside the contract's 16–64 nonce rule.
      const nonce = base64url(randomBytes(16, cryptoImpl))
      return { header: await signer.authorization({ method, path, ts: deps.now(), nonce, body }) }
    },
  }
}

function tokenProviderAuthorizer(getToken: () => Promise<string> | string): Authorizer {
  let cached: Promise<string> | undefined

  const fetchToken = (): Promise<string> => {
    const pending = new Promise<string>((resolve) => resolve(getToken())).then(
      (token) => {
        if (typeof token !== 'string' || token === '') throw new TypeError('getToken() must return a non-empty string')
        return token
      },
    )
    // A failed fetch is not cached: the next call asks again.
    pending.catch(() => {
      if (cached === pending) cached = undefined
    })
    return pending
  }

  return {
    kind: 'token',
    async authorize() {
      const current = (cached ??= fetchToken())
      let token: string
      try {
        token = await current
      } catch (cause) {
        throw new BenefitKitError(`getToken() failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
          code: 'TOKEN_UNAVAILABLE',
          cause,
        })
      }
      return {
        header: `Bearer ${token}`,
        // Only drop the token this request used: concurrent 401s then share one refresh.
        invalidate: () => {
          if (cached === current) cached = undefined
        },
      }
    },
  }
}
