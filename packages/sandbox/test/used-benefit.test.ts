/**
 * syncUsedBenefit (seed Flow 3, steps 6–10): the super app deactivates what the
 * ISV reports as redeemed, idempotently, and remembers every body it received.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { harness, usedRequest, type Harness } from './support/harness.js'
import { testKeys } from './support/keys.js'

const keys = testKeys()

async function issuedInstance(h: Harness, userId = 'u1') {
  await h.syncApproved('tpl-1')
  h.sandbox.release('tpl-1')
  const result = await h.sandbox.collect({ userId, templateId: 'tpl-1' })
  const detail = result.benefitDetails[0]!
  return { benefitInstanceId: detail.benefitInstanceId, benefitTemplateId: 'tpl-1', userId }
}

test('syncUsedBenefit deactivates an instance the super app issued (S, signed)', async () => {
  const h = await harness(keys)
  try {
    const instance = await issuedInstance(h)
    const answer = await h.call('syncUsedBenefit', usedRequest('use-1', instance))
    assert.equal(answer.json.result, { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'success' })
    assert.ok(answer.signed)
    const state = h.sandbox.state
    const record = state.instances.find((i) => i.benefitInstanceId === instance.benefitInstanceId)
    assert.is(record?.status, 'USED')
    assert.is(record?.benefitUseRequestId, 'use-1')
    assert.is(state.usedSyncs[0]?.knownInstance, true)
  } finally {
    await h.close()
  }
})

test('a resend with the same key parameters gets the same answer and is recorded body by body', async () => {
  const h = await harness(keys)
  try {
    const instance = await issuedInstance(h)
    const body = usedRequest('use-1', instance)
    const first = await h.call('syncUsedBenefit', body)
    const again = await h.call('syncUsedBenefit', body)
    // benefitUseDate is not a key parameter: a resend that differs only there is the same request.
    const laterDate = await h.call('syncUsedBenefit', { ...body, benefitUseDate: '2026-11-24T11:00:00.000+08:00' })
    assert.equal(again.json, first.json)
    assert.equal(laterDate.json, first.json)
    const record = h.sandbox.state.usedSyncs[0]!
    assert.is(record.receivedCount, 3)
    assert.is(record.bodies.length, 3)
    assert.is(record.bodies[0], JSON.stringify(body), 'the raw text as received')
    assert.is(record.bodies[0], record.bodies[1])
    assert.is.not(record.bodies[2], record.bodies[0])
    const calls = h.sandbox.calls({ api: 'syncUsedBenefit' })
    assert.equal(calls.map((c) => [c.attempt, Boolean(c.replayed)]), [
      [1, false],
      [2, true],
      [3, true],
    ])
  } finally {
    await h.close()
  }
})

for (const [field, value] of [
  ['userId', 'u2'],
  ['usedAmount', { currency: 'HKD', value: '500' }],
  ['benefitInstanceId', 'inst-other'],
  ['clientCode', 'TNG'],
] as const) {
  test(`the same benefitUseRequestId with a different ${field} is REPEAT_REQ_INCONSISTENT and changes nothing`, async () => {
    const h = await harness(keys)
    try {
      const instance = await issuedInstance(h)
      const body = usedRequest('use-1', instance)
      await h.call('syncUsedBenefit', body)
      const changed = await h.call('syncUsedBenefit', { ...body, [field]: value })
      assert.is(changed.json.result.resultCode, 'REPEAT_REQ_INCONSISTENT')
      assert.is(changed.json.result.resultStatus, 'F')
      assert.ok(changed.signed)
      const record = h.sandbox.state.usedSyncs[0]!
      assert.equal(record.request, body, 'the first request stays the record')
      assert.is(record.bodies.length, 2)
    } finally {
      await h.close()
    }
  })
}

test('an instance the sandbox never issued is accepted and marked unknown by default, refused with unknownInstance reject', async () => {
  const stranger = { benefitInstanceId: 'inst-x', benefitTemplateId: 'tpl-x', userId: 'u9' }
  const lenient = await harness(keys)
  try {
    const answer = await lenient.call('syncUsedBenefit', usedRequest('use-x', stranger))
    assert.is(answer.json.result.resultCode, 'SUCCESS')
    assert.is(lenient.sandbox.state.usedSyncs[0]?.knownInstance, false)
  } finally {
    await lenient.close()
  }
  const strict = await harness(keys, { unknownInstance: 'reject' })
  try {
    const answer = await strict.call('syncUsedBenefit', usedRequest('use-x', stranger))
    assert.is(answer.json.result.resultCode, 'BIZ_ERROR_NO_RETRY')
    assert.match(answer.json.result.resultMessage, /inst-x/)
  } finally {
    await strict.close()
  }
})

test('an instance reported for the wrong user, or after a reversal, is refused', async () => {
  const h = await harness(keys)
  try {
    const instance = await issuedInstance(h)
    const wrongUser = await h.call('syncUsedBenefit', usedRequest('use-w', { ...instance, userId: 'u2' }))
    assert.is(wrongUser.json.result.resultCode, 'BIZ_ERROR_NO_RETRY')
    assert.match(wrongUser.json.result.resultMessage, /^userId/)
    await h.sandbox.reverseIssue(h.sandbox.state.issues[0]!.benefitIssueRequestId)
    const afterReversal = await h.call('syncUsedBenefit', usedRequest('use-r', instance))
    assert.is(afterReversal.json.result.resultCode, 'BIZ_ERROR_NO_RETRY')
    assert.match(afterReversal.json.result.resultMessage, /reversed/)
  } finally {
    await h.close()
  }
})

test('a used-benefit sync during an injected U is answered with the same body once the ISV resends', async () => {
  const h = await harness(keys)
  try {
    const instance = await issuedInstance(h)
    h.sandbox.injectFault({ api: 'syncUsedBenefit', kind: 'code', code: 'SYSTEM_ERROR', times: 2 })
    const body = usedRequest('use-u', instance)
    const codes: string[] = []
    for (let i = 0; i < 3; i++) codes.push((await h.call('syncUsedBenefit', body)).json.result.resultCode)
    assert.equal(codes, ['SYSTEM_ERROR', 'SYSTEM_ERROR', 'SUCCESS'])
    const record = h.sandbox.state.usedSyncs[0]!
    assert.is(record.bodies.length, 3, 'bodies answered by the fault are recorded too')
    assert.is(new Set(record.bodies).size, 1)
    assert.is(record.receivedCount, 1, 'processed once')
    assert.is(h.sandbox.state.instances[0]?.status, 'USED')
  } finally {
    await h.close()
  }
})

test.run()
