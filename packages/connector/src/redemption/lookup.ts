import type { LookupAnswer, LookupRequest } from '@benefitkit/shared'
import type { Principal } from './auth/authenticate.js'
import { RedemptionError } from './errors.js'
import { instanceView, redeemRefusal } from './instances.js'
import type { QueryRunner } from '../db/prepared.js'
import type { InstanceCache } from './instance-cache.js'
import type { InstanceRecord, RedemptionQueries } from './queries.js'

/**
 * Whether a code can be redeemed now, and what it is worth; changes nothing.
 * `reason` is the code a redeem would be refused with. The PIN is checked
 * only when the lookup carries one: `pinRequired` tells the checkout to ask.
 */
export async function lookup(
  runner: QueryRunner,
  queries: RedemptionQueries,
  principal: Principal,
  request: LookupRequest,
  now: number,
  cache: InstanceCache,
): Promise<string> {
  const row = cache.get(request.benefitCode) ?? (await readInstance(runner, queries, cache, request.benefitCode))
  if (!row) throw new RedemptionError('BENEFIT_NOT_FOUND', 'no benefit has this code')
  if (principal.userId !== undefined && row.user_id !== principal.userId) {
    throw new RedemptionError('FORBIDDEN', "this benefit belongs to another user than the token's")
  }
  const refusal = redeemRefusal(row, { pin: request.benefitPin, checkPin: request.benefitPin !== undefined }, now)
  const answer: LookupAnswer = { instance: instanceView(row, now), redeemable: refusal === undefined, pinRequired: row.pin !== null }
  if (refusal) answer.reason = refusal.code
  return JSON.stringify(answer)
}

async function readInstance(runner: QueryRunner, queries: RedemptionQueries, cache: InstanceCache, code: string): Promise<InstanceRecord | undefined> {
  const generation = cache.generation()
  const row = (await queries.instanceByCode.run(runner, { code })).rows[0]
  // Unknown codes are not cached: an issue may create one at any moment.
  if (row) cache.remember(code, row, generation)
  return row
}
