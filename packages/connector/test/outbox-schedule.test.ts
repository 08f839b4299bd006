import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_RETRY_SCHEDULE, nextAttemptAt, resolveSchedule } from '../src/outbox/schedule.js'

const S = 1000
const MIN = 60 * S
const H = 60 * MIN

test('the default schedule: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h', () => {
  const noJitter = resolveSchedule({ jitter: 0 })
  const waits = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((attempts) => nextAttemptAt(noJitter, { attempts, scheduleStart: 0, now: 0 }))
  assert.equal(waits, [5 * S, 30 * S, 2 * MIN, 10 * MIN, 30 * MIN, H, 2 * H, 2 * H, 2 * H])
  assert.is(DEFAULT_RETRY_SCHEDULE.horizonMs, 72 * H)
  assert.is(DEFAULT_RETRY_SCHEDULE.jitter, 0.2)
})

test('jitter stays within ±20 % and spreads rows that failed together', () => {
  const seen = new Set<number>()
  for (let i = 0; i < 500; i++) {
    const at = nextAttemptAt(DEFAULT_RETRY_SCHEDULE, { attempts: 2, scheduleStart: 0, now: 0 })!
    assert.ok(at >= 24 * S && at <= 36 * S, String(at))
    seen.add(at)
  }
  assert.ok(seen.size > 100)
  assert.is(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, { attempts: 2, scheduleStart: 0, now: 0, random: () => 0 }), 24 * S)
  assert.is(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, { attempts: 2, scheduleStart: 0, now: 0, random: () => 0.999_999_9 }), 36 * S)
})

test('no attempt is scheduled past 72 h from the start (created_at, or replayed_at after a replay)', () => {
  const schedule = resolveSchedule({ jitter: 0 })
  assert.is(nextAttemptAt(schedule, { attempts: 30, scheduleStart: 0, now: 70 * H }), 72 * H, 'exactly at the horizon is still allowed')
  assert.is(nextAttemptAt(schedule, { attempts: 30, scheduleStart: 0, now: 70 * H + 1 }), null)
  // After a replay at 100 h the horizon counts from there.
  assert.is(nextAttemptAt(schedule, { attempts: 1, scheduleStart: 100 * H, now: 100 * H }), 100 * H + 5 * S)
})

test('the schedule is configurable and checked', () => {
  const custom = resolveSchedule({ delaysMs: [1, 2], thenEveryMs: 3, horizonMs: 10, jitter: 0 })
  assert.equal([1, 2, 3, 4].map((attempts) => nextAttemptAt(custom, { attempts, scheduleStart: 0, now: 0 })), [1, 2, 3, 3])
  assert.ok(Object.isFrozen(custom) && Object.isFrozen(custom.delaysMs))
  assert.throws(() => resolveSchedule({ jitter: 1 }), /jitter/)
  assert.throws(() => resolveSchedule({ delaysMs: [-1] }), /delaysMs/)
  assert.throws(() => resolveSchedule({ thenEveryMs: 0 }), /thenEveryMs/)
  assert.throws(() => resolveSchedule({ horizonMs: 0 }), /horizonMs/)
})

test.run()
