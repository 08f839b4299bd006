import { parseProtocolTime } from '@benefitkit/shared'

/** Human durations for tables: `4 s`, `12 min`, `3 h`, `2 d`. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000)
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${Math.round(s / 3600)} h`
  return `${Math.round(s / 86_400)} d`
}

/** `in 5 s`, `5 s ago`, or `now` for an instant relative to `now`. */
export function relative(at: number, now: number): string {
  if (Math.abs(at - now) < 1000) return 'now'
  return at > now ? `in ${duration(at - now)}` : `${duration(now - at)} ago`
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * `--since` values: a duration back from now (`90s`, `30m`, `2h`, `3d`), an ISO
 * 8601 time with an offset (`2026-11-24T08:00:00+08:00`), a UTC date
 * (`2026-11-24`), or epoch milliseconds. `undefined` when it is none of these.
 */
export function parseSince(text: string, now: number): number | undefined {
  const trimmed = text.trim()
  const ago = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d)$/.exec(trimmed)
  if (ago) return now - Number(ago[1]) * UNITS[ago[2]!]!
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const at = Date.parse(`${trimmed}T00:00:00Z`)
    return Number.isNaN(at) ? undefined : at
  }
  return parseProtocolTime(trimmed)
}
