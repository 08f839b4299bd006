import type { BenefitStatus } from '@benefitkit/shared'
import type { InstanceRow, IssuingRow, OutboxRow, RedemptionRow } from '../db/schema.js'

/**
 * What the admin API shows of each row. Redeemable secrets never leave the
 * daemon through it: a code is shown as its last four characters (enough to
 * match a customer's complaint), a PIN or a URL token not at all. Whoever
 * holds the admin token can still find an instance *by* its code.
 */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString())

/** `********1234`: the last four characters, at most eight stars. */
export function maskCode(code: string): string {
  if (code.length <= 4) return '*'.repeat(code.length)
  return `${'*'.repeat(Math.min(8, code.length - 4))}${code.slice(-4)}`
}

export function instanceStatusAt(row: Pick<InstanceRow, 'state' | 'expire_at'>, now: number): BenefitStatus {
  return row.state === 'ACTIVATED' && now > Number(row.expire_at) ? 'EXPIRED' : row.state
}

export function instanceAdminView(row: InstanceRow, now: number) {
  return {
    benefitInstanceId: row.id,
    benefitTemplateId: row.template_id,
    benefitIssueRequestId: row.issuing_id,
    userId: row.user_id,
    clientCode: row.client_code,
    status: instanceStatusAt(row, now),
    codeHint: maskCode(row.code),
    hasPin: row.pin !== null,
    isUrl: row.url !== null,
    activateTime: row.activate_time,
    expireTime: row.expire_time,
    amount: row.amount_currency !== null && row.amount_value !== null ? { currency: row.amount_currency, value: row.amount_value } : null,
    createdAt: iso(row.created_at),
    usedAt: iso(row.used_at),
    reversedAt: iso(row.reversed_at),
  }
}

export function issuingAdminView(row: IssuingRow) {
  return {
    benefitIssueRequestId: row.request_id,
    state: row.state,
    userId: row.user_id,
    benefitTemplateId: row.template_id,
    quantity: row.quantity,
    clientCode: row.client_code,
    // answer_json holds the codes handed out: only its result fields are shown.
    answer: resultFieldsOf(row.answer_json),
    createdAt: iso(row.created_at),
    reversedAt: iso(row.reversed_at),
  }
}

export function redemptionAdminView(row: RedemptionRow) {
  return {
    redemptionId: row.id,
    benefitInstanceId: row.instance_id,
    benefitTemplateId: row.template_id,
    userId: row.user_id,
    useScene: row.use_scene,
    usedAmount: parseJson(row.used_amount_json),
    orderId: row.order_id,
    storeId: row.store_id,
    apiKeyId: row.api_key_id,
    benefitUseRequestId: row.use_request_id,
    redeemedAt: iso(row.redeemed_at),
  }
}

export type OutboxListRow = Omit<OutboxRow, 'body'>

export function outboxAdminView(row: OutboxListRow) {
  return {
    id: row.id,
    api: row.api,
    idempotencyId: row.idempotency_id,
    orderingKey: row.ordering_key,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.state === 'pending' ? iso(row.next_attempt_at) : null,
    lastCode: row.last_code,
    lastError: row.last_error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    deliveredAt: iso(row.delivered_at),
    replayedAt: iso((row as { replayed_at?: number | null }).replayed_at ?? null),
  }
}

/** Body fields that let someone redeem: masked in the outbox body shown to operators. */
const SECRET_BODY_FIELDS = new Set(['benefitCode', 'benefitPin', 'benefitUrl'])

export function outboxDetailView(row: OutboxRow) {
  const body = parseJson(row.body)
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (SECRET_BODY_FIELDS.has(key) && typeof value === 'string') (body as Record<string, unknown>)[key] = maskCode(value)
    }
  }
  return { ...outboxAdminView(row), body }
}

function resultFieldsOf(answerJson: string | null): { success?: unknown; resultCode?: unknown; resultMessage?: unknown } | null {
  const answer = parseJson(answerJson)
  if (!answer || typeof answer !== 'object') return null
  const { success, resultCode, resultMessage } = answer as Record<string, unknown>
  return { success, resultCode, resultMessage }
}

function parseJson(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}
