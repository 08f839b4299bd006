import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CODE_ALPHABET, generateBenefitCode, generateInstanceId } from '../src/issuing/codes.js'
import { expectAnswer } from './support/answers.js'
import { issue, syncedTemplate, withConnector } from './support/issuing.js'

/**
 * Instance ids are `bi` + 26 Crockford symbols: 9 of issue time (epoch ms), then
 * 17 random (85 bits). They sort by issue time, so inserts append to the
 * primary-key index, and stay unguessable.
 */

const INSTANCE_ID = /^bi[0-9A-HJKMNP-TV-Z]{26}$/

function timeOf(id: string): number {
  return [...id.slice(2, 11)].reduce((n, symbol) => n * 32 + CODE_ALPHABET.indexOf(symbol), 0)
}

test('format: bi + 26 Crockford symbols, the first 9 the epoch ms it was made at', () => {
  const now = Date.now()
  for (const at of [0, 1, 31, 32, now, now + 1, 2 ** 44, 2 ** 45 - 1]) {
    const id = generateInstanceId(at)
    assert.match(id, INSTANCE_ID)
    assert.is(timeOf(id), at, id)
  }
  assert.match(generateInstanceId(), INSTANCE_ID)
  assert.ok(Math.abs(timeOf(generateInstanceId()) - Date.now()) < 1000, 'defaults to now')
})

test('time-ordered: ids sort as the times they were made at, across symbol boundaries', () => {
  const base = Date.now()
  const times = [0, 31, 32, 33, 1023, 1024, 32 ** 5 - 1, 32 ** 5, base - 1, base, base + 1, base + 1000, base + 86_400_000, 2 ** 45 - 1]
  for (let i = 0; i < 200; i++) times.push(Math.floor(Math.random() * 2 ** 45))
  const ids = times.map((t) => ({ t, id: generateInstanceId(t) }))
  const byId = [...ids].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const byTime = [...ids].sort((a, b) => a.t - b.t)
  assert.equal(
    byId.map((x) => x.t),
    byTime.map((x) => x.t),
  )
})

test('unguessable: the 17 symbols after the time are random, even within one millisecond', () => {
  const at = Date.now()
  const ids = Array.from({ length: 4000 }, () => generateInstanceId(at))
  assert.is(new Set(ids).size, ids.length, 'no repeats within one ms')
  assert.ok(ids.every((id) => id.startsWith(ids[0]!.slice(0, 11))), 'one ms, one prefix')
  for (let position = 11; position < 28; position++) {
    const counts = new Map<string, number>()
    for (const id of ids) counts.set(id[position]!, (counts.get(id[position]!) ?? 0) + 1)
    // Uniform over 32 symbols: about 125 each. A counter or a constant would use a handful.
    assert.is(counts.size, 32, `position ${position} uses every symbol`)
    assert.ok(Math.max(...counts.values()) < 250, `position ${position} is roughly uniform`)
  }
})

test('benefit codes stay fully random: no time prefix', () => {
  const codes = Array.from({ length: 2000 }, () => generateBenefitCode().replace(/-/g, ''))
  for (let position = 0; position < 4; position++) {
    assert.is(new Set(codes.map((c) => c[position])).size, 32, `position ${position} of the code is random`)
  }
})

test('issued instances: ids in issue order as the clock moves, within one issuing all of the same ms', async () => {
  let now = Date.now()
  await withConnector(
    async (t) => {
      const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 100 } })
      const issued: string[] = []
      for (let i = 0; i < 5; i++) {
        const answer = await issue(t, { benefitTemplateId: templateId, quantity: 3 })
        expectAnswer(answer, 'SUCCESS')
        const ids = answer.json.benefitDetails.map((d: { benefitInstanceId: string }) => d.benefitInstanceId) as string[]
        for (const id of ids) {
          assert.match(id, INSTANCE_ID)
          assert.is(timeOf(id), now)
        }
        issued.push(...[...ids].sort())
        now += 7
      }
      assert.equal([...issued].sort(), issued, 'a later issuing sorts after an earlier one')
    },
    {},
    { now: () => now },
  )
})

test.run()
