import { formatIssues, SyncUsedBenefitRequest } from '@benefitkit/shared'

/**
 * The check every redeem makes of the syncUsedBenefit body it enqueues
 * (protocol.md §6.3): a body the platform would refuse must fail the redeem,
 * not park in the outbox after the checkout was told "redeemed". The protocol
 * schema is the one rule (a hand-written fast path saved ~5 of a redeem's
 * ~370 CPU µs and was a second copy of every limit: not worth it).
 */
export function checkSyncUsedBenefit(body: SyncUsedBenefitRequest, instanceId: string): void {
  const checked = SyncUsedBenefitRequest.safeParse(body)
  if (!checked.success) throw new Error(`syncUsedBenefit body for instance ${instanceId} is invalid: ${formatIssues(checked.error)}`)
}
