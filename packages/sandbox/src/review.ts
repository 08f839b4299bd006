/**
 * The platform's review of a synced template (seed Flow 1, steps 3–9): after
 * the review delay the sync is approved or fails with the outcome set on the
 * fault board, and notifyBenefitSync is delivered.
 */
import type { EventHub, SandboxEventBody } from './events.js'
import type { FaultBoard } from './faults.js'
import type { Notifier } from './notify.js'
import type { ResolvedOptions } from './options.js'
import type { SandboxState } from './state.js'
import type { Scheduler } from './timers.js'

export interface ReviewDeps {
  options: ResolvedOptions
  state: SandboxState
  faults: FaultBoard
  events: EventHub
  scheduler: Scheduler
  notify: Notifier
  release(templateId: string): void
  onError(error: unknown): void
}

/** Schedules the review; returns the `sync-accepted` event for the caller to emit after its answer. */
export function scheduleReview(deps: ReviewDeps, benefitSyncRequestId: string): SandboxEventBody | undefined {
  const { options, state, scheduler } = deps
  const sync = state.syncs.get(benefitSyncRequestId)
  if (!sync) return undefined
  const reviewAt = new Date(Date.now() + options.reviewDelayMs).toISOString()
  scheduler.after(options.reviewDelayMs, () => review(deps, benefitSyncRequestId), deps.onError)
  return { type: 'sync-accepted', benefitSyncRequestId, benefitTemplateId: sync.benefitTemplateId, reviewAt }
}

export function review(deps: ReviewDeps, benefitSyncRequestId: string): void {
  const { options, state, faults, events } = deps
  const sync = state.syncs.get(benefitSyncRequestId)
  if (!sync || sync.syncStatus !== 'PROCESSING') return
  const decision = faults.reviewFor(sync.benefitTemplateId)
  sync.reviewedAt = new Date().toISOString()
  if (decision.outcome === 'APPROVE') {
    sync.syncStatus = 'SUCCESS'
  } else {
    sync.syncStatus = 'FAIL'
    sync.syncFailCode = decision.outcome
    if (decision.reason !== undefined) sync.syncFailReason = decision.reason
  }

  const template = state.templates.get(sync.benefitTemplateId)
  // Only the latest sync of a template speaks for it; an older one finishing late changes nothing.
  if (template && template.syncRequestIds.at(-1) === benefitSyncRequestId) {
    template.syncStatus = sync.syncStatus
    if (sync.syncFailCode !== undefined) template.syncFailCode = sync.syncFailCode
    if (sync.syncStatus === 'SUCCESS') template.approved = sync.request
  }

  events.emit({
    type: 'sync-reviewed',
    benefitSyncRequestId,
    benefitTemplateId: sync.benefitTemplateId,
    decision: decision.outcome,
    syncStatus: sync.syncStatus,
    ...(sync.syncFailCode === undefined ? {} : { syncFailCode: sync.syncFailCode }),
    ...(sync.syncFailReason === undefined ? {} : { syncFailReason: sync.syncFailReason }),
  })
  if (sync.syncStatus === 'SUCCESS' && options.autoRelease && template && !template.released) deps.release(template.benefitTemplateId)
  deps.notify.start(benefitSyncRequestId)
}
