import { SYNC_FAIL_CODES, type SyncFailCode, type SyncStatus } from '@benefitkit/shared'
import type { Db } from '../db/open.js'
import type { TemplateState } from '../db/schema.js'

/**
 * A template's sync state machine: DRAFT → SYNCING → SYNCED | FAILED.
 * Every path that learns about a sync — the syncBenefit answer, notifyBenefitSync,
 * the inquireBenefitSync reconciler — moves it through these functions only, so
 * whichever arrives first wins and nothing ever moves backwards.
 */

export type SyncOutcomeResult =
  /** No template carries this benefitSyncRequestId. */
  | { kind: 'unknown' }
  /** The template moved to `state`. */
  | { kind: 'applied'; templateId: string; state: TemplateState }
  /** Already final (or the news is not newer): acknowledged, nothing changed. */
  | { kind: 'ignored'; templateId: string; state: TemplateState }

export interface SyncOutcome {
  syncRequestId: string
  syncStatus: SyncStatus
  syncFailCode?: SyncFailCode | string | undefined
  syncFailReason?: string | undefined
  now: number
}

/**
 * Applies a review outcome (from notifyBenefitSync or inquireBenefitSync). SUCCESS
 * and FAIL are final; PROCESSING changes nothing. A conditional UPDATE makes the
 * race between the two paths harmless.
 */
export async function applySyncOutcome(db: Db, outcome: SyncOutcome): Promise<SyncOutcomeResult> {
  const template = await db
    .selectFrom('templates')
    .select(['id', 'state'])
    .where('sync_request_id', '=', outcome.syncRequestId)
    .executeTakeFirst()
  if (!template) return { kind: 'unknown' }
  if (outcome.syncStatus === 'PROCESSING') return { kind: 'ignored', templateId: template.id, state: template.state }

  const next: TemplateState = outcome.syncStatus === 'SUCCESS' ? 'SYNCED' : 'FAILED'
  const result = await db
    .updateTable('templates')
    .set({
      state: next,
      updated_at: outcome.now,
      ...(next === 'SYNCED'
        ? { synced_at: outcome.now, sync_fail_code: null, sync_fail_reason: null }
        : { sync_fail_code: outcome.syncFailCode ?? 'UNKNOWN', sync_fail_reason: outcome.syncFailReason ?? null }),
    })
    .where('id', '=', template.id)
    .where('state', 'in', ['DRAFT', 'SYNCING'])
    .executeTakeFirst()
  if (result.numUpdatedRows === 0n) {
    const current = await db.selectFrom('templates').select('state').where('id', '=', template.id).executeTakeFirstOrThrow()
    return { kind: 'ignored', templateId: template.id, state: current.state }
  }
  return { kind: 'applied', templateId: template.id, state: next }
}

/** The platform accepted the syncBenefit for review: DRAFT → SYNCING (never backwards). */
export async function markSyncAccepted(db: Db, syncRequestId: string, now: number): Promise<void> {
  await db
    .updateTable('templates')
    .set({ state: 'SYNCING', updated_at: now })
    .where('sync_request_id', '=', syncRequestId)
    .where('state', '=', 'DRAFT')
    .execute()
}

/** The platform refused the syncBenefit itself (an F answer): DRAFT | SYNCING → FAILED with its code. */
export async function markSyncRejected(db: Db, syncRequestId: string, code: string, reason: string, now: number): Promise<void> {
  await db
    .updateTable('templates')
    .set({ state: 'FAILED', sync_fail_code: code, sync_fail_reason: reason.slice(0, 256), updated_at: now })
    .where('sync_request_id', '=', syncRequestId)
    .where('state', 'in', ['DRAFT', 'SYNCING'])
    .execute()
}

/** Templates still waiting for a review outcome, oldest first (for the reconciler). */
export async function templatesAwaitingReview(db: Db, limit = 100) {
  return db
    .selectFrom('templates')
    .select(['id', 'sync_request_id', 'updated_at', 'created_at'])
    .where('state', '=', 'SYNCING')
    .orderBy('updated_at')
    .limit(limit)
    .execute()
}

/**
 * An operator replays a syncBenefit the platform had refused outright (an F
 * answer such as ACCESS_FORBIDDEN or INVALID_SIGNATURE, recorded by
 * markSyncRejected): FAILED → DRAFT, so the replay's answer decides again
 * (S → SYNCING, F → FAILED). A review verdict (AUDIT_FAIL, INNER_PROCESS_FAIL,
 * SYNC_CLIENT_FAIL from notify or inquiry) is final and is never reopened.
 * Returns whether the template was reopened.
 */
export async function reopenRejectedSync(db: Db, syncRequestId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('templates')
    .set({ state: 'DRAFT', sync_fail_code: null, sync_fail_reason: null, updated_at: now })
    .where('sync_request_id', '=', syncRequestId)
    .where('state', '=', 'FAILED')
    .where('sync_fail_code', 'not in', [...SYNC_FAIL_CODES, 'UNKNOWN'])
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}
