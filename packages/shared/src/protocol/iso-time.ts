/**
 * ISO 8601 times with an offset, without zod, so `./signing` (which checks
 * `Request-Time`) does not load the schemas.
 */

/** ISO 8601 with a mandatory offset: `2026-11-24T08:00:00+08:00`, `…00.123Z`. */
export const ISO_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

const ISO_PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/

/**
 * Whether an ISO 8601 time with offset names a real calendar instant. `Date.parse`
 * alone is too lenient: V8 reads `2026-02-30` as 2 March and `24:00:00` as the next day.
 */
export function isRealIsoTime(text: string): boolean {
  const m = ISO_PARTS.exec(text)
  if (!m) return false
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = m.slice(1).map((part) => Number(part ?? 0)) as [
    number, number, number, number, number, number, number, number,
  ]
  if (month < 1 || month > 12 || day < 1) return false
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false
  if (hour > 23 || minute > 59 || second > 59) return false
  if (offsetHours > 14 || offsetMinutes > 59) return false
  return !Number.isNaN(Date.parse(text))
}
