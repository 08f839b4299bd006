import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { seedInstance, seedInstances } from './support/seed-instances.js'
import { sharedRedemptionEnv, type RedemptionEnv } from './support/redemption-env.js'

const LOOKUP = '/v1/benefits/lookup'
const shared = sharedRedemptionEnv()
const test = suite('redemption: lookup')
test.after(() => shared.stop())

async function snapshot(env: RedemptionEnv) {
  const [instances, redemptions, outbox, keys] = await Promise.all([
    env.db.selectFrom('instances').select(['id', 'state', 'used_at']).orderBy('id').execute(),
    env.db.selectFrom('redemptions').select('id').execute(),
    env.db.selectFrom('outbox').select('id').execute(),
    env.db.selectFrom('idempotency_keys').select('key').execute(),
  ])
  return { instances, redemptions, outbox, keys }
}

test('a redeemable code: the instance, its value and title, redeemable true, no reason, pinRequired', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { amount: { currency: 'JPY', value: '500' } })
  const res = await env.post(LOOKUP, { body: { benefitCode: inst.code } })
  assert.is(res.status, 200, res.text)
  assert.equal(res.json, {
    instance: {
      benefitInstanceId: inst.id,
      benefitTemplateId: inst.templateId,
      userId: inst.userId,
      status: 'ACTIVATED',
      activateTime: res.json.instance.activateTime,
      expireTime: res.json.instance.expireTime,
      amount: { currency: 'JPY', value: '500' },
      title: 'HKD 10 off',
    },
    redeemable: true,
    pinRequired: false,
  })
  assert.match(res.json.instance.expireTime, /\+08:00$/)
  assert.ok(res.headers.get('x-request-id'))
  const pinned = await seedInstance(env.db, { pin: '9999', amount: null })
  const withPin = await env.post(LOOKUP, { body: { benefitCode: pinned.code } })
  assert.is(withPin.json.pinRequired, true)
  assert.is(withPin.json.redeemable, true)
  assert.not.ok('amount' in withPin.json.instance)
})

test('reason is the code a redeem would get now: used, reversed, expired, not yet valid, wrong PIN', async () => {
  const env = await shared.get()
  const now = env.now()
  const [used, reversed, expired, early, pinned] = await seedInstances(env.db, [
    { state: 'USED' },
    { state: 'REVERSED' },
    { activateAt: now - 2 * 86_400_000, expireAt: now - 60_000 },
    { activateAt: now + 60_000 },
    { pin: '1234' },
  ])
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['used', { benefitCode: used!.code }, 'BENEFIT_ALREADY_USED', 'USED'],
    ['reversed', { benefitCode: reversed!.code }, 'BENEFIT_REVERSED', 'REVERSED'],
    ['expired', { benefitCode: expired!.code }, 'BENEFIT_EXPIRED', 'EXPIRED'],
    ['early', { benefitCode: early!.code }, 'BENEFIT_NOT_YET_VALID', 'ACTIVATED'],
    ['wrong pin', { benefitCode: pinned!.code, benefitPin: '0000' }, 'PIN_MISMATCH', 'ACTIVATED'],
  ]
  for (const [name, body, reason, status] of cases) {
    const res = await env.post(LOOKUP, { body })
    assert.is(res.status, 200, `${name}: ${res.text}`)
    assert.is(res.json.redeemable, false, name)
    assert.is(res.json.reason, reason, name)
    assert.is(res.json.instance.status, status, name)
  }
  const rightPin = await env.post(LOOKUP, { body: { benefitCode: pinned!.code, benefitPin: '1234' } })
  assert.is(rightPin.json.redeemable, true)
})

test('an unknown code → 404 BENEFIT_NOT_FOUND; bad input → 400 naming the field', async () => {
  const env = await shared.get()
  const missing = await env.post(LOOKUP, { body: { benefitCode: 'NOPE' } })
  assert.is(missing.status, 404)
  assert.is(missing.json.error.code, 'BENEFIT_NOT_FOUND')
  for (const [body, field] of [[{}, /benefitCode/], [{ benefitCode: '' }, /benefitCode/], [{ benefitInstanceId: 'x' }, /benefitInstanceId/]] as const) {
    const res = await env.post(LOOKUP, { body })
    assert.is(res.status, 400)
    assert.is(res.json.error.code, 'INVALID_REQUEST')
    assert.match(res.json.error.message, field)
  }
})

test('lookups change nothing', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { pin: '1111' })
  const before = await snapshot(env)
  for (const body of [{ benefitCode: inst.code }, { benefitCode: inst.code, benefitPin: '2222' }, { benefitCode: 'NOPE' }]) {
    await env.post(LOOKUP, { body })
  }
  assert.equal(await snapshot(env), before)
})

test.run()
