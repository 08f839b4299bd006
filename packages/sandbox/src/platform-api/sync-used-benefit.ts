/**
 * syncUsedBenefit (protocol.md §6.3): the ISV reports a redemption and the super
 * app deactivates the instance. Idempotent on benefitUseRequestId by the key
 * parameters of §4; every body that arrives is kept so tests can check that the
 * ISV resent the same one.
 */
import { keyParameterFingerprint, type SyncUsedBenefitRequest } from '@benefitkit/shared'
import { resultBody } from './answer.js'
import type { HandlerResult, PlatformContext } from './context.js'

/** The pipeline has already recorded the raw body in `state.usedBodies` (faulted arrivals too). */
export function syncUsedBenefit(ctx: PlatformContext, request: SyncUsedBenefitRequest): HandlerResult {
  const { state } = ctx
  const id = request.benefitUseRequestId
  const storeKey = `syncUsedBenefit:${id}`
  const fingerprint = keyParameterFingerprint('syncUsedBenefit', request)
  const record = state.usedSyncs.get(id)
  if (record) {
    record.receivedCount += 1
    const stored = state.answers.get(storeKey)
    if (stored && stored.fingerprint === fingerprint) {
      return { body: stored.body, code: record.resultCode, message: 'replayed', id, attempt: record.receivedCount, replayed: true }
    }
    const message = 'benefitUseRequestId was already used with different key parameters'
    return { body: resultBody('REPEAT_REQ_INCONSISTENT', message), code: 'REPEAT_REQ_INCONSISTENT', message, id, attempt: record.receivedCount, replayed: false }
  }

  const { code, message, knownInstance } = deactivate(ctx, request)
  const body = resultBody(code, message)
  state.usedSyncs.set(id, {
    benefitUseRequestId: id,
    request,
    bodies: state.usedBodies.get(id) ?? [],
    receivedCount: 1,
    resultCode: code,
    knownInstance,
    receivedAt: new Date().toISOString(),
  })
  state.answers.set(storeKey, { fingerprint, body })
  const used = { type: 'benefit-used' as const, benefitUseRequestId: id, benefitInstanceId: request.benefitInstanceId, knownInstance }
  return { body, code, message, id, attempt: 1, replayed: false, ...(code === 'SUCCESS' ? { events: [used] } : {}) }
}

function deactivate(
  ctx: PlatformContext,
  request: SyncUsedBenefitRequest,
): { code: 'SUCCESS' | 'BIZ_ERROR_NO_RETRY'; message: string; knownInstance: boolean } {
  const instance = ctx.state.instances.get(request.benefitInstanceId)
  if (!instance) {
    if (ctx.options.unknownInstance === 'reject') {
      return { code: 'BIZ_ERROR_NO_RETRY', message: `benefitInstanceId ${request.benefitInstanceId} was never issued through this platform`, knownInstance: false }
    }
    return { code: 'SUCCESS', message: 'success (instance unknown to the sandbox, recorded only)', knownInstance: false }
  }
  if (instance.userId !== request.userId) {
    return { code: 'BIZ_ERROR_NO_RETRY', message: `userId: benefitInstanceId ${instance.benefitInstanceId} belongs to another user`, knownInstance: true }
  }
  if (instance.benefitTemplateId !== request.benefitTemplateId) {
    return {
      code: 'BIZ_ERROR_NO_RETRY',
      message: `benefitTemplateId: benefitInstanceId ${instance.benefitInstanceId} is of template ${instance.benefitTemplateId}`,
      knownInstance: true,
    }
  }
  if (instance.status === 'REVERSED') {
    return { code: 'BIZ_ERROR_NO_RETRY', message: `benefitInstanceId ${instance.benefitInstanceId} was reversed`, knownInstance: true }
  }
  if (instance.status !== 'USED') {
    instance.status = 'USED'
    instance.usedAt = new Date().toISOString()
    instance.benefitUseRequestId = request.benefitUseRequestId
  }
  // Already USED under another benefitUseRequestId: deactivating twice changes nothing, so S.
  return { code: 'SUCCESS', message: 'success', knownInstance: true }
}
