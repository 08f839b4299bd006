import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { timeOrderedId } from '../src/redemption/ids.js'

const test = suite('redemption: time-ordered ids')

const NOW = Date.UTC(2026, 10, 24, 8, 0, 0, 0)

// First, so it sees the very first ids of the process too.
test('no two ids share their random part, from the first id on and across many refills of the random pool', () => {
  // 20 000 ids of one millisecond: only the random part tells them apart.
  const randoms = Array.from({ length: 20_000 }, () => timeOrderedId('rd_', NOW).slice(12))
  assert.is(new Set(randoms).size, randoms.length)
  // Every base64url symbol turns up in every position: the pool is filled, not left zeroed or reused.
  for (let position = 0; position < 16; position++) {
    const symbols = new Set(randoms.map((r) => r[position]))
    assert.is(symbols.size, 64, `position ${position}`)
  }
})

test('format: prefix, 9 base36 characters of the time, 16 base64url characters of randomness', () => {
  const id = timeOrderedId('rd_', NOW)
  assert.match(id, /^rd_[0-9a-z]{9}[A-Za-z0-9_-]{16}$/)
  assert.is(id.slice(3, 12), NOW.toString(36).padStart(9, '0'))
  assert.is(timeOrderedId('bu_', 0).slice(0, 12), 'bu_000000000')
})

test('ids sort by time, whatever their random part', () => {
  const ids = Array.from({ length: 500 }, (_, i) => timeOrderedId('rd_', NOW + i * 7))
  assert.equal([...ids].sort(), ids)
})

test.run()
