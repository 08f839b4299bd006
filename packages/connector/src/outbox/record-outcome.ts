import type { Db } from '../db/open.js'
import type { PlatformOutcome } from '../platform-client/outcome.js'
import { markSyncAccepted, markSyncRejected } from '../templates/sync-state.js'
import type { ClaimedRow } from './claim.js'
import { markDelivered } from './complete.js'
import { markDead, scheduleRetry } from './fail.js'
import { nextAttemptAt, type RetrySchedule } from './schedule.js'

export type Verdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; at: number }
  | { kind: 'dead'; reason: 'rejected' | 'horizon' }
  /** Another worker holds the row now (our lease lapsed): nothing written. */
  | { kind: 'lost_lease' }

export interface RecordInput {
  row: ClaimedRow
  outcome: PlatformOutcome
  owner: string
  schedule: RetrySchedule
  now: number
  random?: () => number
}

/**
 * Writes what a finished delivery means, inside the caller's transaction, with
 * its effect on the template: a syncBenefit S moves the template to SYNCING
 * (accepted for review), an F moves it to FAILED with the platform's code.
 * Template state is changed only through templates/sync-state.ts.
 */
export async function applyOutcome(trx: Db, { row, outcome, owner, schedule, now, random }: RecordInput): Promise<Verdict> {
  if (outcome.status === 'S') {
    await markDelivered(trx, { id: row.id, code: outcome.code, now })
    if (row.api === 'syncBenefit') await markSyncAccepted(trx, row.idempotency_id, now)
    return { kind: 'delivered' }
  }
  if (outcome.status === 'F') {
    await markDead(trx, { id: row.id, code: outcome.code, message: outcome.message || outcome.code, now })
    if (row.api === 'syncBenefit') await markSyncRejected(trx, row.idempotency_id, outcome.code, outcome.message || outcome.code, now)
    return { kind: 'dead', reason: 'rejected' }
  }
  const at = nextAttemptAt(schedule, {
    attempts: row.attempts,
    scheduleStart: row.replayed_at ?? row.created_at,
    now,
    ...(random ? { random } : {}),
  })
  if (at === null) {
    const hours = Math.round(schedule.horizonMs / 3_600_000)
    const message = `gave up after ${row.attempts} deliveries over ${hours} h; last: ${outcome.code} ${outcome.message}`
    const written = await markDead(trx, { id: row.id, code: outcome.code, message, now, owner })
    return written ? { kind: 'dead', reason: 'horizon' } : { kind: 'lost_lease' }
  }
  const written = await scheduleRetry(trx, { id: row.id, owner, nextAttemptAt: at, code: outcome.code, message: outcome.message, now })
  return written ? { kind: 'retry', at } : { kind: 'lost_lease' }
}

/** `applyOutcome` in a transaction of its own. */
export async function recordOutcome(db: Db, input: RecordInput): Promise<Verdict> {
  return db.transaction().execute((trx) => applyOutcome(trx, input))
}
