import { formatIssues, ISO_TIME_WITH_OFFSET, isRealIsoTime, SyncUsedBenefitRequest, USE_SCENES } from '@benefitkit/shared'

/**
 * The check every redeem makes of the syncUsedBenefit body it enqueues
 * (protocol.md §6.3): a body the platform would refuse must fail the redeem,
 * not park in the outbox after the checkout was told "redeemed".
 *
 * The protocol schema (zod) is the rule. Run inside the server for every
 * redeem it cost about 11 µs (8 at the median), so {@link plainlyValid} first
 * checks the same rules by hand (about 5); only a body it does not accept goes
 * through the schema, which then decides and words the error. The hand check
 * may be stricter than the schema, never looser: `plainlyValid(body)` implies
 * that the schema accepts `body` (test/redemption-sync-body.test.ts holds it to
 * that, so a schema made stricter fails that test until this follows; one made
 * looser only sends more bodies the slow way).
 */
export function checkSyncUsedBenefit(body: SyncUsedBenefitRequest, instanceId: string): void {
  if (plainlyValid(body)) return
  const checked = SyncUsedBenefitRequest.safeParse(body)
  if (!checked.success) throw new Error(`syncUsedBenefit body for instance ${instanceId} is invalid: ${formatIssues(checked.error)}`)
}

const FORBIDDEN_ID_CHARS = /[@#?]/
const CLIENT_CODE = /^[A-Z0-9_]{1,32}$/
const CURRENCY = /^[A-Z]{3}$/
const MINOR_UNITS = /^[1-9]\d{0,17}$/

/** The protocol's ids: 1..max characters without `@ # ?` (fields.ts `idOf`). */
function isId(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= max && !FORBIDDEN_ID_CHARS.test(value)
}

function isText(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= max
}

/** True only for bodies SyncUsedBenefitRequest accepts; false says "ask the schema". */
export function plainlyValid(body: SyncUsedBenefitRequest): boolean {
  const { usedAmount, benefitCode, benefitUrl, benefitUseDate } = body
  return (
    isId(body.benefitUseRequestId, 64) &&
    isId(body.userId, 32) &&
    typeof body.clientCode === 'string' &&
    CLIENT_CODE.test(body.clientCode) &&
    isId(body.benefitInstanceId, 64) &&
    isId(body.benefitTemplateId, 64) &&
    typeof benefitUseDate === 'string' &&
    ISO_TIME_WITH_OFFSET.test(benefitUseDate) &&
    isRealIsoTime(benefitUseDate) &&
    (USE_SCENES as readonly unknown[]).includes(body.useScene) &&
    (usedAmount === undefined ||
      (typeof usedAmount === 'object' &&
        usedAmount !== null &&
        !Array.isArray(usedAmount) &&
        typeof usedAmount.currency === 'string' &&
        CURRENCY.test(usedAmount.currency) &&
        typeof usedAmount.value === 'string' &&
        MINOR_UNITS.test(usedAmount.value))) &&
    (benefitCode === undefined || isText(benefitCode, 256)) &&
    (benefitUrl === undefined || isText(benefitUrl, 1024))
  )
}
