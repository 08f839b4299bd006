/**
 * When to ask inquireBenefitSync about a template still SYNCING: a short while
 * after the platform accepted it (a notifyBenefitSync usually comes first),
 * then less and less often. Kept in memory: an inquiry is a read, so after a
 * restart starting over from the first delay costs nothing but one call.
 */
export interface InquirySchedule {
  /** Wait after the template became SYNCING before the first inquiry. */
  readonly firstDelayMs: number
  /** Wait after the 1st, 2nd, … inquiry that did not settle it. */
  readonly backoffMs: readonly number[]
  /** Wait after every later one. */
  readonly thenEveryMs: number
}

export const DEFAULT_INQUIRY_SCHEDULE: InquirySchedule = Object.freeze({
  firstDelayMs: 5_000,
  backoffMs: Object.freeze([10_000, 30_000, 60_000, 120_000, 300_000]),
  thenEveryMs: 600_000,
})

/** The wait after `inquiries` unsettled inquiries (≥ 1). */
export function inquiryBackoff(schedule: InquirySchedule, inquiries: number): number {
  return schedule.backoffMs[inquiries - 1] ?? schedule.thenEveryMs
}
