import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { reverseBenefitIssue } from '../src/issuing/reverse.js'
import { InstanceCache } from '../src/redemption/instance-cache.js'
import type { InstanceRecord } from '../src/redemption/queries.js'
import { newKey } from './support/redemption-client.js'
import { seedInstance } from './support/seed-instances.js'
import { sharedRedemptionEnv } from './support/redemption-env.js'

const LOOKUP = '/v1/benefits/lookup'
const REDEEM = '/v1/redemptions'
const shared = sharedRedemptionEnv()
const test = suite('redemption: instance cache')
test.after(() => shared.stop())

const row = (code: string) => ({ code, state: 'ACTIVATED' }) as unknown as InstanceRecord

test('a read that started before a forget never puts its older row back; capacity is bounded', () => {
  const cache = new InstanceCache(2)
  const before = cache.generation()
  cache.forget('A') // a redeem of A commits while a lookup of A is reading
  cache.remember('A', row('A'), before)
  assert.is(cache.get('A'), undefined, 'the stale read is dropped')
  cache.remember('A', row('A'), cache.generation())
  assert.ok(cache.get('A'))
  const beforeClear = cache.generation()
  cache.clear()
  cache.remember('B', row('B'), beforeClear)
  assert.is(cache.get('B'), undefined)
  for (const code of ['C', 'D', 'E']) cache.remember(code, row(code), cache.generation())
  assert.is(cache.get('C'), undefined, 'the oldest went when a third arrived')
  assert.ok(cache.get('D') && cache.get('E'))
})

test('lookup → redeem → lookup: the second lookup says USED, not the cached ACTIVATED', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const first = await env.post(LOOKUP, { body: { benefitCode: inst.code } })
  assert.is(first.json.redeemable, true, first.text)
  assert.is((await env.post(LOOKUP, { body: { benefitCode: inst.code } })).json.redeemable, true, 'served again (from the cache)')
  const redeemed = await env.post(REDEEM, { idempotencyKey: newKey(), body: { benefitCode: inst.code } })
  assert.is(redeemed.status, 200, redeemed.text)
  const after = await env.post(LOOKUP, { body: { benefitCode: inst.code } })
  assert.is(after.json.redeemable, false)
  assert.is(after.json.reason, 'BENEFIT_ALREADY_USED')
  assert.is(after.json.instance.status, 'USED')
})

test('lookup → reverseBenefitIssue → lookup: the second lookup says REVERSED', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  assert.is((await env.post(LOOKUP, { body: { benefitCode: inst.code } })).json.redeemable, true)
  const issuing = await env.db.selectFrom('instances').select('issuing_id').where('id', '=', inst.id).executeTakeFirstOrThrow()
  const answer = await reverseBenefitIssue(env.connector.context, { benefitIssueRequestId: issuing.issuing_id })
  assert.is(answer.code, 'SUCCESS', answer.body)
  const after = await env.post(LOOKUP, { body: { benefitCode: inst.code } })
  assert.is(after.json.redeemable, false)
  assert.is(after.json.reason, 'BENEFIT_REVERSED')
})

test.run()
