import { randomUUID } from 'node:crypto'
import type { Context, Middleware } from 'koa'
import { LookupRequest, RedeemRequest, UserTokenRequest } from '@benefitkit/shared'
import { touchApiKey } from '../apikeys/repository.js'
import type { ConnectorContext } from '../context.js'
import { getRequestId, setRequestLabels, setResultCode } from '../observability/request-labels.js'
import { Authenticator, requireApiKey, type Principal } from './auth/authenticate.js'
import { ApiKeyCache } from './auth/key-cache.js'
import { throttledKeyUsage } from './auth/key-usage.js'
import { recordNonce, type PendingNonce } from './auth/nonces.js'
import { RateLimiter } from './auth/rate-limiter.js'
import { loadUserTokenSecret, UserTokens } from './auth/user-tokens.js'
import { errorBody, isTemporarilyUnavailable, RedemptionError, unauthenticated } from './errors.js'
import { idempotencyKeyOf, InFlightKeys, requestFingerprint } from './idempotency.js'
import { lookup } from './lookup.js'
import { createMaintenance } from './maintenance.js'
import { createRedemptionQueries } from './queries.js'
import { redeem } from './redeem.js'
import { readBody, parseBody } from './request-body.js'
import { sendJson } from './respond.js'

/** One authenticated request on its way through a handler. */
interface Exchange {
  requestId: string
  rawBody: Buffer
  principal: Principal
  /** Set once the signed request's nonce is in the database (or found there). */
  nonceRecorded: boolean
}

export interface RedemptionApi {
  redeem: Middleware
  lookup: Middleware
  userTokens: Middleware
  /** The API-key cache; `invalidate(id)` makes an in-process revocation immediate. */
  keys: ApiKeyCache
  /** Runs the purge of expired nonces and idempotency keys now (tests, operators). */
  purgeExpired(): Promise<void>
}

const REPLAYED = 'nonce was already used with this key: the request is a replay'

/**
 * The redemption API's handlers, with everything they share built once:
 * compiled queries, the key cache, the token signer, the rate limiter, the
 * in-flight Idempotency-Keys.
 */
export function createRedemptionApi(context: ConnectorContext): RedemptionApi {
  const { config, db, logger } = context
  const queries = createRedemptionQueries(db)
  const keys = new ApiKeyCache(db, queries, { now: context.now })
  const limiter = new RateLimiter(config.rateLimitPerSecond)
  const inFlight = new InFlightKeys()
  // Every write goes through the connector's group commit: under load one COMMIT serves many requests.
  const commits = context.commits
  const maintenance = createMaintenance(context)

  let tokens: UserTokens | undefined
  let tokensLoading: Promise<UserTokens> | undefined
  const userTokens = (): UserTokens | Promise<UserTokens> =>
    tokens ??
    (tokensLoading ??= loadUserTokenSecret(db).then(
      (secret) => (tokens = new UserTokens(secret)),
      (error: unknown) => {
        tokensLoading = undefined // try again on the next request
        throw error
      },
    ))

  const auth = new Authenticator({
    keys,
    tokens: userTokens,
    maxClockSkewMs: config.maxClockSkewMs,
    now: context.now,
    onKeyUsed: throttledKeyUsage(
      (id, now) => commits.run((trx) => touchApiKey(trx, id, now)),
      (error) => logger.warn({ err: error }, 'recording api key use failed'),
    ),
  })

  /**
   * A signed request answered without reaching its nonce write (409 in use,
   * 429, 500) still has its nonce recorded, in the background: its answer
   * changed nothing and did not depend on it, but a replay must be refused.
   */
  function recordNonceLater(nonce: PendingNonce): void {
    commits.run((trx) => recordNonce(trx, queries, nonce)).catch((error: unknown) => logger.warn({ err: error }, 'recording a nonce failed'))
  }

  function respondWithError(ctx: Context, error: unknown, requestId: string): void {
    if (error instanceof RedemptionError) {
      if (error.headers) for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value)
      setResultCode(ctx, error.code)
      sendJson(ctx, error.status, errorBody(error.code, error.message, requestId))
      return
    }
    if (isTemporarilyUnavailable(error)) {
      logger.warn({ err: error, requestId }, 'redemption API request found the database unavailable')
      ctx.set('Retry-After', '1')
      setResultCode(ctx, 'UNAVAILABLE')
      sendJson(ctx, 503, errorBody('UNAVAILABLE', 'the connector is busy or shutting down: retry shortly with the same Idempotency-Key', requestId))
      return
    }
    setResultCode(ctx, 'INTERNAL')
    if (ctx.req.socket.destroyed) logger.debug({ err: error, requestId }, 'client went away during a redemption API request')
    else logger.error({ err: error, requestId, path: ctx.path }, 'redemption API request failed')
    sendJson(ctx, 500, errorBody('INTERNAL', `internal error (request ${requestId}); retrying with the same Idempotency-Key is safe`, requestId))
  }

  /** Request id, body, authentication and rate limit, then `handle`; every failure becomes the contract's JSON error. */
  function endpoint(api: string, handle: (ctx: Context, exchange: Exchange) => Promise<void>): Middleware {
    return async (ctx) => {
      // The request-log middleware names the request and echoes X-Request-Id; a bare router (unit tests) makes its own.
      let requestId = getRequestId(ctx)
      if (!requestId) {
        requestId = randomUUID()
        ctx.set('X-Request-Id', requestId)
      }
      setRequestLabels(ctx, api)
      let exchange: Exchange | undefined
      try {
        const rawBody = await readBody(ctx.req, config.bodyLimitBytes)
        const principal = await auth.authenticate({
          method: ctx.method,
          path: ctx.originalUrl,
          authorization: ctx.get('Authorization') || undefined,
          rawBody,
        })
        exchange = { requestId, rawBody, principal, nonceRecorded: false }
        const wait = limiter.take(principal.keyId, context.now())
        if (wait > 0) {
          throw new RedemptionError(
            'RATE_LIMITED',
            `API key ${principal.keyId} is over ${config.rateLimitPerSecond} requests per second: retry after ${wait} s`,
            { 'Retry-After': String(wait) },
          )
        }
        await handle(ctx, exchange)
      } catch (error) {
        respondWithError(ctx, error, requestId)
      } finally {
        if (exchange?.principal.nonce && !exchange.nonceRecorded) recordNonceLater(exchange.principal.nonce)
        maintenance.tick()
      }
    }
  }

  /** Records the nonce of a signed request that changes nothing (lookup, user tokens). */
  async function guardReplay(exchange: Exchange): Promise<void> {
    const nonce = exchange.principal.nonce
    if (!nonce) return
    const fresh = await commits.run((trx) => recordNonce(trx, queries, nonce))
    exchange.nonceRecorded = true
    if (!fresh) throw unauthenticated(REPLAYED)
  }

  return {
    keys,
    purgeExpired: () => maintenance.run(),

    redeem: endpoint('redeem', async (ctx, exchange) => {
      const { principal } = exchange
      let idempotencyKey: string
      let request: RedeemRequest
      try {
        idempotencyKey = idempotencyKeyOf(ctx.get('Idempotency-Key'))
        request = parseBody(RedeemRequest, exchange.rawBody)
      } catch (error) {
        // A valid redeem records its nonce in its own transaction; a refused one does it here, so its replay is a 401 too.
        await guardReplay(exchange)
        throw error
      }
      if (principal.userId !== undefined && request.userId !== undefined && request.userId !== principal.userId) {
        throw new RedemptionError('FORBIDDEN', "userId is not the user token's user: a token redeems only its own user's benefits")
      }
      if (!inFlight.tryAcquire(principal.keyId, idempotencyKey)) {
        throw new RedemptionError('IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is being processed: retry shortly')
      }
      try {
        const answer = await redeem(context, queries, commits, {
          principal,
          request,
          idempotencyKey,
          fingerprint: requestFingerprint(ctx.path, principal.userId, exchange.rawBody),
          requestId: exchange.requestId,
        })
        exchange.nonceRecorded = true
        if (answer.replayed) ctx.set('Idempotent-Replayed', 'true')
        setResultCode(ctx, answer.replayed ? 'IDEMPOTENT_REPLAY' : answer.code)
        sendJson(ctx, answer.status, answer.body)
      } finally {
        inFlight.release(principal.keyId, idempotencyKey)
      }
    }),

    lookup: endpoint('lookup', async (ctx, exchange) => {
      await guardReplay(exchange)
      const request = parseBody(LookupRequest, exchange.rawBody)
      sendJson(ctx, 200, await lookup(db, queries, exchange.principal, request, context.now(), context.instanceCache))
      setResultCode(ctx, 'SUCCESS')
    }),

    userTokens: endpoint('userTokens', async (ctx, exchange) => {
      requireApiKey(exchange.principal)
      await guardReplay(exchange)
      const request = parseBody(UserTokenRequest, exchange.rawBody)
      const signer = await userTokens()
      const expiresAt = context.now() + request.ttlSeconds * 1000
      const token = signer.issue({ keyId: exchange.principal.keyId, userId: request.userId, expiresAt })
      sendJson(ctx, 200, JSON.stringify({ token, userId: request.userId, expiresAt: new Date(expiresAt).toISOString() }))
      setResultCode(ctx, 'SUCCESS')
    }),
  }
}
