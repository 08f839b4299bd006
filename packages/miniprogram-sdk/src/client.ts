/**
 * `createRedemptionClient`: the SDK's entry point. It validates the options once, freezes them
 * into a `SendContext`, and exposes one method per endpoint of docs/redemption-api.md.
 */
import { createAuthorizer, type Auth } from './auth.js'
import { parseBaseUrl } from './base-url.js'
import { BenefitKitError, isBenefitKitError } from './errors.js'
import { createIdempotencyKey, IDEMPOTENCY_KEY_PATTERN } from './random.js'
import { getHeader } from './response.js'
import { retryPolicy, type RetryOptions } from './retry.js'
import { send, type Answer, type RetryEvent, type SendContext } from './send.js'
import type { Transport } from './transport.js'
import type {
  CreateUserTokenInput,
  LookupInput,
  LookupResult,
  RedeemInput,
  RedeemResult,
  UserToken,
} from './types.js'

export interface RedemptionClientOptions {
  /** Where the connector serves the redemption API, e.g. `https://benefits.example.com`. */
  baseUrl: string
  auth: Auth
  /** `fetchTransport()`, `alipayTransport(my)`, `wechatTransport(wx)` or your own. */
  transport: Transport
  /** One attempt's timeout. Default 10 000 ms. */
  timeoutMs?: number
  retry?: RetryOptions
  /** Clock for signatures and the deadline. Default `Date.now`. */
  now?: () => number
  /** Source of backoff jitter in [0, 1). Default `Math.random`. */
  random?: () => number
  /** Called before each wait between attempts; handy for logging. */
  onRetry?: (event: RetryEvent) => void
}

/** Per-call overrides. */
export interface CallOptions {
  timeoutMs?: number
  deadlineMs?: number
}

export interface RedeemOptions extends CallOptions {
  /**
   * Reuse a key to make a repeat of the same redeem safe across page reloads or app restarts,
   * e.g. one derived from your order id. Default: a fresh random key per `redeem` call.
   */
  idempotencyKey?: string
}

export interface RedemptionClient {
  /** POST /v1/redemptions: use a benefit. One Idempotency-Key for all attempts of this call. */
  redeem(input: RedeemInput, options?: RedeemOptions): Promise<RedeemResult>
  /** POST /v1/benefits/lookup: what a code is worth and whether it can be redeemed now. Changes nothing. */
  lookup(input: LookupInput, options?: CallOptions): Promise<LookupResult>
  /** POST /v1/user-tokens: a short-lived token for one user. API-key auth only (your server). */
  createUserToken(input: CreateUserTokenInput, options?: CallOptions): Promise<UserToken>
}

const REDEEM_FIELDS = ['benefitCode', 'benefitInstanceId', 'benefitPin', 'userId', 'useScene', 'usedAmount', 'orderId', 'storeId'] as const

/**
 * ```ts
 * import { createRedemptionClient } from '@benefitkit/miniprogram-sdk'
 * import { alipayTransport } from '@benefitkit/miniprogram-sdk/alipay'
 *
 * const client = createRedemptionClient({ baseUrl, auth: { getToken }, transport: alipayTransport(my) })
 * const { redemption } = await client.redeem({ benefitCode, orderId })
 * ```
 */
export function createRedemptionClient(options: RedemptionClientOptions): RedemptionClient {
  if (!options || typeof options.transport !== 'function') {
    throw new TypeError('transport must be a function, e.g. fetchTransport() from @benefitkit/miniprogram-sdk/fetch')
  }
  const { origin, pathPrefix } = parseBaseUrl(options.baseUrl)
  const now = options.now ?? Date.now
  const ctx: SendContext = Object.freeze({
    origin,
    transport: options.transport,
    authorizer: createAuthorizer(options.auth, { now }),
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: Object.freeze(retryPolicy(options.retry)),
    now,
    random: options.random ?? Math.random,
    onRetry: options.onRetry,
  })

  const call = (path: string, body: unknown, callOptions: CallOptions | undefined, idempotencyKey?: string): Promise<Answer> =>
    send(ctx, { path: pathPrefix + path, body: JSON.stringify(body), idempotencyKey, ...callOptions })

  return Object.freeze({
    async redeem(input: RedeemInput, redeemOptions: RedeemOptions = {}): Promise<RedeemResult> {
      const body = redeemBody(input)
      const { idempotencyKey = createIdempotencyKey(), ...callOptions } = redeemOptions
      if (!IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
        throw invalid('idempotencyKey must be 8-255 characters of [A-Za-z0-9_.:-]')
      }
      try {
        const { body: answer, response } = await call('/v1/redemptions', body, callOptions, idempotencyKey)
        return {
          ...(answer as Pick<RedeemResult, 'redemption' | 'instance'>),
          replayed: getHeader(response.headers, 'idempotent-replayed') === 'true',
          requestId: getHeader(response.headers, 'x-request-id'),
        }
      } catch (error) {
        // The caller needs the key to repeat this redeem safely after a retryable failure.
        if (isBenefitKitError(error)) error.idempotencyKey = idempotencyKey
        throw error
      }
    },

    async lookup(input: LookupInput, callOptions?: CallOptions): Promise<LookupResult> {
      if (!input || typeof input.benefitCode !== 'string' || input.benefitCode === '') throw invalid('benefitCode is required')
      const request = input.benefitPin === undefined ? { benefitCode: input.benefitCode } : { benefitCode: input.benefitCode, benefitPin: input.benefitPin }
      const { body, response } = await call('/v1/benefits/lookup', request, callOptions)
      return {
        ...(body as Omit<LookupResult, 'requestId'>),
        requestId: getHeader(response.headers, 'x-request-id'),
      }
    },

    async createUserToken(input: CreateUserTokenInput, callOptions?: CallOptions): Promise<UserToken> {
      if (ctx.authorizer.kind !== 'apiKey') throw invalid('createUserToken needs API-key auth: call it from your server')
      if (!input || typeof input.userId !== 'string' || input.userId === '') throw invalid('userId is required')
      const { body, response } = await call('/v1/user-tokens', { userId: input.userId, ttlSeconds: input.ttlSeconds }, callOptions)
      return {
        ...(body as Omit<UserToken, 'requestId'>),
        requestId: getHeader(response.headers, 'x-request-id'),
      }
    },
  })
}

/** Only the contract's fields, so an extra property on `input` cannot turn into a 400. */
function redeemBody(input: RedeemInput): Record<string, unknown> {
  if (!input || typeof input !== 'object') throw invalid('redeem input must be an object')
  if ((input.benefitCode === undefined) === (input.benefitInstanceId === undefined)) {
    throw invalid('give exactly one of benefitCode or benefitInstanceId')
  }
  const body: Record<string, unknown> = {}
  for (const field of REDEEM_FIELDS) if (input[field] !== undefined) body[field] = input[field]
  return body
}

/** Refused before sending: same code as the API's 400, never retryable. */
function invalid(message: string): BenefitKitError {
  return new BenefitKitError(message, { code: 'INVALID_REQUEST' })
}
