import type { Db } from '../db/open.js'

/**
 * When the worker next has something to do without being woken: the earliest
 * future retry, or the earliest lease that will lapse. Rows already due but not
 * claimed are waiting behind their template's syncBenefit; a delivery wakes
 * the worker for those.
 */
export async function nextDueAt(db: Db, now: number): Promise<number | undefined> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('outbox')
        .select((e) => e.fn.min('next_attempt_at').as('at'))
        .where('state', '=', 'pending')
        .where('next_attempt_at', '>', now)
        .as('retry_at'),
      eb
        .selectFrom('outbox')
        .select((e) => e.fn.min('lease_until').as('at'))
        .where('state', '=', 'in_flight')
        .as('lease_at'),
    ])
    .executeTakeFirst()
  const candidates = [row?.retry_at, row?.lease_at].filter((v): v is number => typeof v === 'number')
  return candidates.length ? Math.min(...candidates) : undefined
}
