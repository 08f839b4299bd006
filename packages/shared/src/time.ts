/**
 * Protocol times (protocol.md §1, §5): we send ISO 8601 with milliseconds and an
 * offset; we accept ISO 8601 with any offset or `Z`, and epoch milliseconds.
 */
import { isRealIsoTime, ISO_TIME_WITH_OFFSET } from './protocol/iso-time.js'

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/**
 * `2026-11-24T08:00:00.123+08:00` for the given instant, shown in the given
 * offset (minutes east of UTC; default: this machine's offset at that instant).
 */
export function formatProtocolTime(at: Date | number = Date.now(), offsetMinutes?: number): string {
  const ms = typeof at === 'number' ? at : at.getTime()
  const offset = offsetMinutes ?? -new Date(ms).getTimezoneOffset()
  const shifted = new Date(ms + offset * 60_000)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  return (
    `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}` +
    `.${pad(shifted.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  )
}

const EPOCH_MS = /^\d{10,16}$/

/**
 * Epoch milliseconds of a protocol time header or field, or `undefined` when it
 * is neither ISO 8601 with an offset nor epoch milliseconds.
 */
export function parseProtocolTime(text: string): number | undefined {
  if (EPOCH_MS.test(text)) return Number(text)
  if (!ISO_TIME_WITH_OFFSET.test(text) || !isRealIsoTime(text)) return undefined
  return Date.parse(text)
}

/** The offset (minutes east of UTC) an ISO time was written in; 0 for `Z` or epoch ms. */
export function offsetOfProtocolTime(text: string): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(text)
  if (!m) return 0
  const minutes = Number(m[2]) * 60 + Number(m[3])
  return m[1] === '-' ? -minutes : minutes
}

export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000

export type FreshnessResult = { ok: true; at: number } | { ok: false; reason: string }

/**
 * The replay guard: a request whose time is more than `maxSkewMs` away from now
 * (either way) is refused, so a captured request is useless soon after.
 */
export function checkFreshness(
  timeHeader: string | undefined,
  now: number = Date.now(),
  maxSkewMs: number = DEFAULT_MAX_CLOCK_SKEW_MS,
): FreshnessResult {
  if (!timeHeader) return { ok: false, reason: 'Request-Time header is missing' }
  const at = parseProtocolTime(timeHeader)
  if (at === undefined) {
    return { ok: false, reason: 'Request-Time must be ISO 8601 with an offset or epoch milliseconds' }
  }
  const skew = Math.abs(now - at)
  if (skew > maxSkewMs) {
    return { ok: false, reason: `Request-Time is ${Math.round(skew / 1000)} s away from our clock (limit ${maxSkewMs / 1000} s)` }
  }
  return { ok: true, at }
}
