import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { formatProtocolTime, SyncUsedBenefitRequest } from '@benefitkit/shared'
import { checkSyncUsedBenefit } from '../src/redemption/sync-used-body.js'

const test = suite('redemption: syncUsedBenefit body check')

const NOW = Date.UTC(2026, 10, 24, 0, 0, 0, 123)

function validBody(): SyncUsedBenefitRequest {
  return {
    benefitUseRequestId: 'bu_0mi3x1abcAAAABBBBCCCCDDDD',
    userId: '2088000000000042',
    clientCode: 'ALIPAY_HK',
    benefitInstanceId: 'bi_0mi3x1abcAAAABBBBCCCCDDDDE',
    benefitTemplateId: 'tpl_12345678',
    benefitUseDate: formatProtocolTime(NOW, 480),
    useScene: 'MINI_PROGRAM',
    benefitCode: 'K7PQ-2M9X-4RTA',
  }
}

test('the bodies redeems enqueue pass', () => {
  const bodies: SyncUsedBenefitRequest[] = [
    validBody(),
    { ...validBody(), usedAmount: { currency: 'HKD', value: '1000' }, useScene: 'OFFLINE_STORE' },
    { ...validBody(), benefitCode: undefined, benefitUrl: 'https://merchant.example/v/abc?x=1#y' },
    { ...validBody(), useScene: 'OTHER', benefitUseDate: formatProtocolTime(NOW, -210) },
    { ...validBody(), userId: 'u'.repeat(32), benefitInstanceId: 'i'.repeat(64), benefitTemplateId: 't'.repeat(64), clientCode: 'A'.repeat(32) },
  ]
  for (const body of bodies) {
    assert.ok(SyncUsedBenefitRequest.safeParse(body).success, JSON.stringify(body))
    checkSyncUsedBenefit(body, 'bi_x')
  }
})

test('a body the protocol refuses fails with the schema\'s own words', () => {
  const cases: Array<[Partial<SyncUsedBenefitRequest>, RegExp]> = [
    [{ userId: 'u'.repeat(33) }, /userId: at most 32 characters/],
    [{ benefitTemplateId: 'tpl#1' }, /benefitTemplateId: must not contain @, # or \?/],
    [{ clientCode: 'alipay_hk' }, /clientCode: must be an upper-case client code/],
    [{ benefitCode: '' }, /benefitCode/],
    [{ benefitUrl: 'x'.repeat(1025) }, /benefitUrl/],
    [{ usedAmount: { currency: 'HKD', value: '0' } }, /usedAmount\.value/],
    [{ benefitUseDate: '2026-02-30T00:00:00.000+08:00' }, /benefitUseDate: is not a real date and time/],
    [{ useScene: 'DRIVE_THROUGH' as never }, /useScene/],
  ]
  for (const [change, message] of cases) {
    const body = { ...validBody(), ...change }
    assert.throws(() => checkSyncUsedBenefit(body, 'bi_42'), (error: Error) => /^syncUsedBenefit body for instance bi_42 is invalid: /.test(error.message) && message.test(error.message))
  }
})

test.run()
