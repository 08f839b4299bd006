/** inquireBenefitSync (protocol.md §6.2): the review state of one sync, any time. */
import type { InquireBenefitSyncRequest } from '@benefitkit/shared'
import { resultBody } from './answer.js'
import type { HandlerResult, PlatformContext } from './context.js'

export function inquireBenefitSync(ctx: PlatformContext, request: InquireBenefitSyncRequest): HandlerResult {
  const id = request.benefitSyncRequestId
  const sync = ctx.state.syncs.get(id)
  if (!sync) {
    const message = `no syncBenefit with benefitSyncRequestId ${id}`
    return { body: resultBody('SYNC_REQUEST_ID_NOT_EXIST', message), code: 'SYNC_REQUEST_ID_NOT_EXIST', message, id, attempt: 1, replayed: false }
  }
  const extra: Record<string, unknown> = { syncStatus: sync.syncStatus }
  if (sync.syncFailCode !== undefined) extra.syncFailCode = sync.syncFailCode
  if (sync.syncFailReason !== undefined) extra.syncFailReason = sync.syncFailReason
  return { body: resultBody('SUCCESS', 'success', extra), code: 'SUCCESS', message: sync.syncStatus, id, attempt: 1, replayed: false }
}
