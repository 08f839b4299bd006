import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  checkFreshness,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  formatProtocolTime,
  offsetOfProtocolTime,
  parseProtocolTime,
  Time,
} from '@benefitkit/shared'

/** 2026-11-24T00:00:00.123Z */
const INSTANT = Date.UTC(2026, 10, 24, 0, 0, 0, 123)

const FORMATTED: Array<[number, string]> = [
  [480, '2026-11-24T08:00:00.123+08:00'],
  [510, '2026-11-24T08:30:00.123+08:30'],
  [-180, '2026-11-23T21:00:00.123-03:00'],
  [-210, '2026-11-23T20:30:00.123-03:30'],
  [0, '2026-11-24T00:00:00.123+00:00'],
  [345, '2026-11-24T05:45:00.123+05:45'],
  [840, '2026-11-24T14:00:00.123+14:00'],
  [-720, '2026-11-23T12:00:00.123-12:00'],
]

for (const [offset, expected] of FORMATTED) {
  test(`formatProtocolTime(…, ${offset}) → ${expected}`, () => {
    assert.is(formatProtocolTime(INSTANT, offset), expected)
    assert.is(formatProtocolTime(new Date(INSTANT), offset), expected)
    assert.is(parseProtocolTime(expected), INSTANT)
    assert.is(offsetOfProtocolTime(expected), offset)
    assert.ok(Time.safeParse(expected).success)
  })
}

test('formatProtocolTime writes UTC as +00:00, never Z, and always three fraction digits', () => {
  assert.is(formatProtocolTime(Date.UTC(2026, 0, 1), 0), '2026-01-01T00:00:00.000+00:00')
  assert.is(formatProtocolTime(Date.UTC(2026, 0, 1, 0, 0, 0, 7), 0), '2026-01-01T00:00:00.007+00:00')
  assert.is(formatProtocolTime(Date.UTC(2026, 0, 1), -0), '2026-01-01T00:00:00.000+00:00')
})

test('formatProtocolTime crosses day, month, year and leap-day boundaries', () => {
  assert.is(formatProtocolTime(Date.UTC(2026, 11, 31, 20, 0, 0), 480), '2027-01-01T04:00:00.000+08:00')
  assert.is(formatProtocolTime(Date.UTC(2027, 0, 1, 1, 0, 0), -180), '2026-12-31T22:00:00.000-03:00')
  assert.is(formatProtocolTime(Date.UTC(2028, 1, 28, 23, 0, 0), 480), '2028-02-29T07:00:00.000+08:00')
})

test('formatProtocolTime without an offset uses this machine\'s offset and names the same instant', () => {
  const text = formatProtocolTime(INSTANT)
  assert.match(text, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/)
  assert.is(parseProtocolTime(text), INSTANT)
  assert.is(offsetOfProtocolTime(text), -new Date(INSTANT).getTimezoneOffset())
  const now = formatProtocolTime()
  assert.ok(Math.abs(parseProtocolTime(now)! - Date.now()) < 5_000)
})

test('property: parseProtocolTime(formatProtocolTime(t, offset)) === t', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2200, 0, 1) }),
      fc.integer({ min: -12 * 60, max: 14 * 60 }),
      (ms, offset) => {
        const text = formatProtocolTime(ms, offset)
        assert.is(parseProtocolTime(text), ms, text)
        assert.is(offsetOfProtocolTime(text), offset, text)
        assert.ok(Time.safeParse(text).success, text)
      },
    ),
    { numRuns: 3000 },
  )
})

const PARSED: Array<[string, number]> = [
  ['2026-11-24T08:00:00.123+08:00', INSTANT],
  ['2026-11-24T08:30:00.123+08:30', INSTANT],
  ['2026-11-23T21:00:00.123-03:00', INSTANT],
  ['2026-11-24T00:00:00.123Z', INSTANT],
  ['2026-11-24T00:00:00.123+00:00', INSTANT],
  ['2026-11-24T08:00:00+08:00', INSTANT - 123],
  ['2026-11-24T00:00:00Z', INSTANT - 123],
  ['2026-11-24T00:00:00.1Z', INSTANT - 23],
  ['1763971200000', 1763971200000],
  [String(INSTANT), INSTANT],
]

for (const [text, ms] of PARSED) {
  test(`parseProtocolTime("${text}") → ${ms}`, () => {
    assert.is(parseProtocolTime(text), ms)
  })
}

test('parseProtocolTime rejects garbage with undefined', () => {
  const garbage = [
    '', ' ', 'now', 'yesterday', 'null', 'NaN',
    '2026-11-24', '2026-11-24T08:00:00', '2026-11-24T08:00:00.123', '2026-11-24 08:00:00+08:00',
    '2026-11-24T08:00+08:00', '2026-11-24T08:00:00+0800', '2026-11-24T08:00:00 +08:00',
    '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-24T24:00:00Z', '2026-11-24T08:60:00Z',
    '2026-11-24T08:00:00+25:00', 'Tue, 24 Nov 2026 08:00:00 GMT',
    '-1763971200000', '1763971200000.5', '17639712', '1e12', ' 1763971200000', '0x1A2B3C4D5E',
  ]
  for (const text of garbage) assert.is(parseProtocolTime(text), undefined, JSON.stringify(text))
})

test('offsetOfProtocolTime: Z and epoch milliseconds are 0', () => {
  assert.is(offsetOfProtocolTime('2026-11-24T00:00:00Z'), 0)
  assert.is(offsetOfProtocolTime('1763971200000'), 0)
  assert.is(offsetOfProtocolTime('2026-11-24T00:00:00-09:30'), -570)
})

/* ---------------------------------------------------------------- freshness */

const NOW = INSTANT
const MINUTE = 60_000

test('the default window is 5 minutes', () => {
  assert.is(DEFAULT_MAX_CLOCK_SKEW_MS, 5 * MINUTE)
})

test('checkFreshness accepts times inside 5 minutes, both directions, any format', () => {
  for (const delta of [0, -4 * MINUTE - 59_000, 4 * MINUTE + 59_000, -5 * MINUTE, 5 * MINUTE, -1, 1]) {
    for (const header of [formatProtocolTime(NOW + delta, 480), formatProtocolTime(NOW + delta, -180), new Date(NOW + delta).toISOString(), String(NOW + delta)]) {
      const result = checkFreshness(header, NOW)
      assert.equal(result, { ok: true, at: NOW + delta }, `${header} (${delta} ms)`)
    }
  }
})

test('checkFreshness refuses times outside 5 minutes, both directions, with the distance in the reason', () => {
  for (const delta of [-5 * MINUTE - 1, 5 * MINUTE + 1, -6 * MINUTE, 6 * MINUTE, -24 * 60 * MINUTE, 365 * 24 * 60 * MINUTE]) {
    for (const header of [formatProtocolTime(NOW + delta, 480), String(NOW + delta)]) {
      const result = checkFreshness(header, NOW)
      assert.is(result.ok, false, `${header} (${delta} ms)`)
      if (!result.ok) assert.match(result.reason, /away from our clock/)
    }
  }
  const sixMinutes = checkFreshness(formatProtocolTime(NOW - 6 * MINUTE, 480), NOW)
  assert.equal(sixMinutes, { ok: false, reason: 'Request-Time is 360 s away from our clock (limit 300 s)' })
})

test('checkFreshness refuses a missing or unreadable header', () => {
  assert.equal(checkFreshness(undefined, NOW), { ok: false, reason: 'Request-Time header is missing' })
  assert.equal(checkFreshness('', NOW), { ok: false, reason: 'Request-Time header is missing' })
  for (const bad of ['yesterday', '2026-11-24T08:00:00', '2026-02-30T00:00:00Z']) {
    const result = checkFreshness(bad, NOW)
    assert.is(result.ok, false, bad)
    if (!result.ok) assert.match(result.reason, /ISO 8601 with an offset or epoch milliseconds/)
  }
})

test('checkFreshness honours a configured window', () => {
  const header = formatProtocolTime(NOW - 2 * MINUTE, 0)
  assert.ok(checkFreshness(header, NOW).ok)
  assert.not.ok(checkFreshness(header, NOW, MINUTE).ok)
  assert.ok(checkFreshness(formatProtocolTime(NOW - 10 * MINUTE, 0), NOW, 15 * MINUTE).ok)
})

test('checkFreshness defaults now to the clock', () => {
  assert.ok(checkFreshness(formatProtocolTime()).ok)
  assert.not.ok(checkFreshness(formatProtocolTime(Date.now() - 6 * MINUTE)).ok)
})

test.run()
