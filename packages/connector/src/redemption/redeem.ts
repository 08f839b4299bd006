import {
  formatProtocolTime,
  type SyncUsedBenefitRequest,
  type RedeemAnswer,
  type RedeemRequest,
  type RedemptionView,
} from '@benefitkit/shared'
import type { Transaction } from 'kysely'
import type { ConnectorContext } from '../context.js'
import type { Database } from '../db/schema.js'
import { enqueueOutboxWithoutId } from '../outbox/enqueue.js'
import type { Principal } from './auth/authenticate.js'
import { recordNonce } from './auth/nonces.js'
import { errorBody, RedemptionError, unauthenticated } from './errors.js'
import type { GroupCommit } from '../db/group-commit.js'
import { IDEMPOTENCY_RETENTION_MS } from './idempotency.js'
import { timeOrderedId } from './ids.js'
import { instanceView, redeemRefusal, type Refusal } from './instances.js'
import type { InstanceCache } from './instance-cache.js'
import type { InstanceRecord, RedemptionQueries } from './queries.js'
import { checkSyncUsedBenefit } from './sync-used-body.js'

export interface RedeemInput {
  principal: Principal
  request: RedeemRequest
  idempotencyKey: string
  fingerprint: string
  requestId: string
}

/** An answer exactly as sent (and as stored for replays). */
export interface Answer {
  status: number
  body: string
  replayed: boolean
  /** SUCCESS or the error code, for logs and metrics (a replay's is not known). */
  code: string
}

/** Another replica committed this Idempotency-Key first (PostgreSQL): roll back, the client retries. */
class KeyTakenMeanwhile extends Error {}

/**
 * ACTIVATED → USED in one transaction (a unit of a group commit) that also
 * records the signed request's nonce, inserts the redemption, enqueues
 * syncUsedBenefit and stores the answer under the Idempotency-Key. Business
 * refusals (403, 404, 409, 422) are stored and committed too, so a retry
 * replays them; nothing else changes.
 */
export async function redeem(context: ConnectorContext, queries: RedemptionQueries, commits: GroupCommit, input: RedeemInput): Promise<Answer> {
  const { principal, idempotencyKey, fingerprint } = input
  let answer: Answer & { redeemed: boolean }
  try {
    answer = await commits.run(async (trx) => {
      if (principal.nonce && !(await recordNonce(trx, queries, principal.nonce))) {
        throw unauthenticated('nonce was already used with this key: the request is a replay')
      }
      const stored = (await queries.findIdempotency.run(trx, { scope: principal.keyId, key: idempotencyKey })).rows[0]
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          const message = 'Idempotency-Key was already used with a different request: use a new key for a new redeem'
          const body = errorBody('IDEMPOTENCY_KEY_REUSED', message, input.requestId)
          return { status: 422, body, replayed: false, redeemed: false, code: 'IDEMPOTENCY_KEY_REUSED' }
        }
        return { status: stored.status_code, body: stored.response_json, replayed: true, redeemed: false, code: 'IDEMPOTENT_REPLAY' }
      }

      const now = context.now()
      const outcome = await attempt(trx, queries, input, now, context.instanceCache)
      const kept = await queries.insertIdempotency.run(trx, {
        scope: principal.keyId,
        key: idempotencyKey,
        fingerprint,
        status_code: outcome.status,
        response_json: outcome.body,
        created_at: now,
        expires_at: now + IDEMPOTENCY_RETENTION_MS,
      })
      if ((kept.numAffectedRows ?? 0n) === 0n) throw new KeyTakenMeanwhile()
      return { ...outcome, replayed: false }
    })
  } catch (error) {
    if (error instanceof KeyTakenMeanwhile) {
      throw new RedemptionError('IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is being processed: retry shortly')
    }
    throw error
  }
  // The outbox worker polls too; waking it makes the first delivery attempt immediate.
  if (answer.redeemed) context.outbox.wake()
  return { status: answer.status, body: answer.body, replayed: answer.replayed, code: answer.code }
}

/** The redeem itself, inside the transaction: a refusal to store, or the state change and its answer. */
async function attempt(
  trx: Transaction<Database>,
  queries: RedemptionQueries,
  input: RedeemInput,
  now: number,
  cache: InstanceCache,
): Promise<{ status: number; body: string; redeemed: boolean; code: string }> {
  const { principal, request, requestId } = input
  const refused = (refusal: Refusal) => ({
    status: new RedemptionError(refusal.code, refusal.message).status,
    body: errorBody(refusal.code, refusal.message, requestId),
    redeemed: false,
    code: refusal.code,
  })

  const row =
    request.benefitCode !== undefined
      ? (await queries.instanceByCode.run(trx, { code: request.benefitCode })).rows[0]
      : (await queries.instanceById.run(trx, { id: request.benefitInstanceId! })).rows[0]
  if (!row) return refused({ code: 'BENEFIT_NOT_FOUND', message: 'no benefit has this code' })
  if (principal.userId !== undefined && row.user_id !== principal.userId) {
    return refused({ code: 'FORBIDDEN', message: "this benefit belongs to another user than the token's" })
  }
  const refusal = redeemRefusal(row, { userId: request.userId, pin: request.benefitPin, checkPin: true }, now)
  if (refusal) return refused(refusal)

  // The conditional update is what makes double spending impossible: of any
  // number of concurrent redeems exactly one matches state = 'ACTIVATED'. (On
  // SQLite transactions run one at a time; on PostgreSQL the losers block on
  // the row lock, then match nothing.)
  const updated = await queries.markUsed.run(trx, { id: row.id, now })
  // Before the commit: no lookup reads between this and the COMMIT (one connection), and none puts the old row back.
  cache.forget(row.code)
  if (updated.numAffectedRows !== 1n) {
    const state = (await queries.stateOf.run(trx, { id: row.id })).rows[0]?.state
    return refused(
      state === 'REVERSED'
        ? { code: 'BENEFIT_REVERSED', message: 'this benefit was reversed and cannot be redeemed' }
        : { code: 'BENEFIT_ALREADY_USED', message: 'this benefit has already been redeemed' },
    )
  }

  const redemptionId = timeOrderedId('rd_', now)
  const useRequestId = timeOrderedId('bu_', now)
  await queries.insertRedemption.run(trx, {
    id: redemptionId,
    instance_id: row.id,
    template_id: row.template_id,
    user_id: row.user_id,
    use_scene: request.useScene,
    used_amount_json: request.usedAmount ? JSON.stringify(request.usedAmount) : null,
    order_id: request.orderId ?? null,
    store_id: request.storeId ?? null,
    api_key_id: principal.keyId,
    use_request_id: useRequestId,
    redeemed_at: now,
  })
  await enqueueOutboxWithoutId(trx, {
    api: 'syncUsedBenefit',
    idempotencyId: useRequestId,
    body: syncUsedBenefitBody(row, request, useRequestId, now),
    orderingKey: row.template_id,
    now,
  })

  const redemption: RedemptionView = {
    redemptionId,
    benefitInstanceId: row.id,
    benefitTemplateId: row.template_id,
    userId: row.user_id,
    useScene: request.useScene,
    redeemedAt: new Date(now).toISOString(),
  }
  if (request.usedAmount) redemption.usedAmount = request.usedAmount
  if (request.orderId !== undefined) redemption.orderId = request.orderId
  if (request.storeId !== undefined) redemption.storeId = request.storeId
  const answer: RedeemAnswer = { redemption, instance: instanceView(row, now, 'USED') }
  return { status: 200, body: JSON.stringify(answer), redeemed: true, code: 'SUCCESS' }
}

/**
 * The syncUsedBenefit body (protocol.md §6.3), checked against the protocol
 * schema before it is enqueued: a body the platform would refuse must fail
 * the redeem, not park in the outbox after the checkout was told "redeemed".
 */
function syncUsedBenefitBody(row: InstanceRecord, request: RedeemRequest, useRequestId: string, now: number): string {
  const body: SyncUsedBenefitRequest = {
    benefitUseRequestId: useRequestId,
    userId: row.user_id,
    clientCode: row.client_code,
    benefitInstanceId: row.id,
    benefitTemplateId: row.template_id,
    benefitUseDate: formatProtocolTime(now),
    useScene: request.useScene,
  }
  if (request.usedAmount) body.usedAmount = { currency: request.usedAmount.currency, value: request.usedAmount.value }
  if (row.url !== null) body.benefitUrl = row.url
  else body.benefitCode = row.code
  checkSyncUsedBenefit(body, row.id)
  return JSON.stringify(body)
}
