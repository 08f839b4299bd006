import type { ConnectorContext } from '../context.js'
import { applySyncOutcome } from '../templates/sync-state.js'
import { flatAnswer } from './answer.js'
import { inboundRoute, type InboundRoute } from './inbound-route.js'

/**
 * notifyBenefitSync (protocol.md §6.4): the platform's review outcome. Recorded
 * through the same state machine as the reconciler's inquiries, so whichever
 * arrives first wins; repeats and late PROCESSING are acknowledged and change
 * nothing (a template never moves backwards).
 */
export function notifyBenefitSyncRoute(context: ConnectorContext): InboundRoute {
  return inboundRoute('notifyBenefitSync', async (request) => {
    const result = await applySyncOutcome(context.db, {
      syncRequestId: request.benefitSyncRequestId,
      syncStatus: request.syncStatus,
      syncFailCode: request.syncFailCode,
      syncFailReason: request.syncFailReason,
      now: context.now(),
    })
    switch (result.kind) {
      case 'unknown':
        return flatAnswer('SYNC_REQUEST_ID_NOT_EXIST', `no template was synced with benefitSyncRequestId ${request.benefitSyncRequestId}`)
      case 'applied':
        context.logger.info({ templateId: result.templateId, state: result.state }, 'template sync outcome recorded')
        return flatAnswer('SUCCESS', `template ${result.templateId} is ${result.state}`)
      case 'ignored':
        return flatAnswer('SUCCESS', `acknowledged; template ${result.templateId} stays ${result.state}`)
    }
  })
}
