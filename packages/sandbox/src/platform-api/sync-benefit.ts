/**
 * syncBenefit (protocol.md §6.1): accept a template for review, idempotent on
 * benefitSyncRequestId over the whole body. S means accepted for review; the
 * review runs later and ends in notifyBenefitSync.
 */
import { canonicalJson, keyParameterFingerprint, type SyncBenefitRequest } from '@benefitkit/shared'
import { resultBody } from './answer.js'
import type { HandlerResult, PlatformContext } from './context.js'

/** What a synced template may not change (protocol.md §6.1: "Once synced it is final"). */
const IMMUTABLE_FIELDS = ['clientCode', 'benefitContent', 'benefitBudget'] as const

export function syncBenefit(ctx: PlatformContext, request: SyncBenefitRequest): HandlerResult {
  const { state } = ctx
  const id = request.benefitSyncRequestId
  const storeKey = `syncBenefit:${id}`
  const fingerprint = keyParameterFingerprint('syncBenefit', request)
  const existing = state.syncs.get(id)
  const attempt = (existing?.receivedCount ?? 0) + 1
  if (existing) existing.receivedCount = attempt

  const stored = state.answers.get(storeKey)
  if (stored) {
    if (stored.fingerprint === fingerprint) return { body: stored.body, code: codeOf(stored.body), message: 'replayed', id, attempt, replayed: true }
    const message = 'benefitSyncRequestId was already used with a different body'
    return { body: resultBody('REPEAT_REQ_INCONSISTENT', message), code: 'REPEAT_REQ_INCONSISTENT', message, id, attempt, replayed: false }
  }

  const template = state.templates.get(request.benefitTemplateId)
  const changed = template?.approved
    ? IMMUTABLE_FIELDS.filter((f) => canonicalJson(template.approved![f]) !== canonicalJson(request[f]))
    : []
  if (changed.length > 0) {
    const message = `template ${request.benefitTemplateId} is already synced; ${changed.join(', ')} cannot change`
    const body = resultBody('BIZ_ERROR_NO_RETRY', message)
    state.answers.set(storeKey, { fingerprint, body })
    return { body, code: 'BIZ_ERROR_NO_RETRY', message, id, attempt, replayed: false }
  }

  const now = new Date().toISOString()
  state.syncs.set(id, {
    benefitSyncRequestId: id,
    benefitTemplateId: request.benefitTemplateId,
    request,
    receivedAt: now,
    receivedCount: 1,
    syncStatus: 'PROCESSING',
  })
  if (template) {
    template.syncRequestIds.push(id)
    template.syncStatus = 'PROCESSING'
    delete template.syncFailCode
  } else {
    state.templates.set(request.benefitTemplateId, {
      benefitTemplateId: request.benefitTemplateId,
      syncRequestIds: [id],
      syncStatus: 'PROCESSING',
      released: false,
    })
  }
  const message = 'accepted for review'
  const body = resultBody('SUCCESS', message)
  state.answers.set(storeKey, { fingerprint, body })
  const accepted = ctx.scheduleReview(id)
  return { body, code: 'SUCCESS', message, id, attempt: 1, replayed: false, ...(accepted ? { events: [accepted] } : {}) }
}

function codeOf(body: string): string {
  return (JSON.parse(body) as { result: { resultCode: string } }).result.resultCode
}
