/**
 * An event hook on the connector's outbox: each time a syncUsedBenefit reaches
 * the platform, read the body exactly as it was sent, check it with the shared
 * schema, and hand a typed, readable record to the ISV's own systems (here: a
 * callback; in real life a ledger, a data warehouse, a merchant webhook).
 */
import type { Connector, DeliveryEvent } from '@benefitkit/connector'
import { getOutboxRow } from '@benefitkit/connector'
import { formatAmount, formatIssues, SyncUsedBenefitRequest } from '@benefitkit/shared'

export type UsedBenefitAudit =
  | { valid: true; request: SyncUsedBenefitRequest; line: string }
  | { valid: false; problems: string; body: string }

/** Checks one syncUsedBenefit body against the shared schema and describes it in one line. */
export function auditUsedBenefitBody(body: string): UsedBenefitAudit {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (error) {
    return { valid: false, problems: `not JSON: ${(error as Error).message}`, body }
  }
  const parsed = SyncUsedBenefitRequest.safeParse(json)
  if (!parsed.success) return { valid: false, problems: formatIssues(parsed.error), body }
  const r = parsed.data
  const code = r.benefitCode ? ` code ****${r.benefitCode.slice(-4)}` : ''
  const amount = r.usedAmount ? ` order ${formatAmount(r.usedAmount)}` : ''
  return {
    valid: true,
    request: r,
    line: `${r.benefitUseRequestId}: user ${r.userId} used ${r.benefitInstanceId} (${r.benefitTemplateId}${code}) at ${r.benefitUseDate} via ${r.useScene}${amount}`,
  }
}

export interface UsedBenefitHookOptions {
  /** Called once per syncUsedBenefit the platform accepted. */
  onDelivered(audit: UsedBenefitAudit, event: DeliveryEvent): void
  /** Also called for retries and dead rows (to alert early). Default: nothing. */
  onUndelivered?(audit: UsedBenefitAudit, event: DeliveryEvent): void
}

/**
 * Attaches the hook to a connector built in this process. Returns the
 * unsubscribe. The hook runs after the outcome is committed; a hook that throws
 * is logged and never affects delivery.
 */
export function attachUsedBenefitHook(connector: Connector, options: UsedBenefitHookOptions): () => void {
  const { db, logger } = connector.context
  return connector.worker.onDelivery((event) => {
    if (event.api !== 'syncUsedBenefit') return
    const delivered = event.verdict.kind === 'delivered'
    if (!delivered && !options.onUndelivered) return
    void getOutboxRow(db, event.id)
      .then((row) => {
        if (!row) return
        const audit = auditUsedBenefitBody(row.body)
        if (delivered) options.onDelivered(audit, event)
        else options.onUndelivered?.(audit, event)
      })
      .catch((error: unknown) => logger.error({ err: error, outboxId: event.id }, 'used-benefit hook failed'))
  })
}
