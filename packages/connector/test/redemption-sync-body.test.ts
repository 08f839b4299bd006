import fc from 'fast-check'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { formatProtocolTime, SyncUsedBenefitRequest } from '@benefitkit/shared'
import { checkSyncUsedBenefit, plainlyValid } from '../src/redemption/sync-used-body.js'

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

test('ordinary bodies take the fast path: the hand check accepts what redeems enqueue', () => {
  const bodies: SyncUsedBenefitRequest[] = [
    validBody(),
    { ...validBody(), usedAmount: { currency: 'HKD', value: '1000' }, useScene: 'OFFLINE_STORE' },
    { ...validBody(), benefitCode: undefined, benefitUrl: 'https://merchant.example/v/abc?x=1#y' },
    { ...validBody(), useScene: 'OTHER', benefitUseDate: formatProtocolTime(NOW, -210) },
    { ...validBody(), userId: 'u'.repeat(32), benefitInstanceId: 'i'.repeat(64), benefitTemplateId: 't'.repeat(64), clientCode: 'A'.repeat(32) },
  ]
  for (const body of bodies) {
    assert.ok(SyncUsedBenefitRequest.safeParse(body).success, JSON.stringify(body))
    assert.ok(plainlyValid(body), JSON.stringify(body))
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
    assert.not.ok(plainlyValid(body), JSON.stringify(change))
    assert.throws(() => checkSyncUsedBenefit(body, 'bi_42'), (error: Error) => /^syncUsedBenefit body for instance bi_42 is invalid: /.test(error.message) && message.test(error.message))
  }
})

/** Strings around every length limit, with the characters the rules care about. */
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '_', '-', '@', '#', '?', ' ', 'é', '😀', '.', ':', '+'), minLength: 0, maxLength: 70 }),
  fc.constantFrom(0, 1, 3, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1023, 1024, 1025).map((n) => 'A'.repeat(n)),
  fc.constantFrom('ALIPAY_HK', 'HKD', '1000', '0', '01', '1'.repeat(18), '1'.repeat(19), 'MINI_PROGRAM', 'OFFLINE_STORE', 'OTHER'),
)
const anything = fc.oneof(text, fc.constant(undefined), fc.constant(null), fc.integer(), fc.constant(['HKD']))
const currency = fc.oneof(fc.constantFrom('HKD', 'USD', 'hkd', 'HK', 'HKDD'), anything)
const minorUnits = fc.oneof(fc.constantFrom('1000', '1', '999999999999999999', '1000000000000000000', '0100', '-1', '10.5'), anything)
const isoish = fc.oneof(
  fc.integer({ min: -62_000_000_000_000, max: 400_000_000_000_000 }).chain((ms) => fc.integer({ min: -900, max: 900 }).map((offset) => formatProtocolTime(ms, offset))),
  fc.constantFrom('2026-02-29T00:00:00+08:00', '2028-02-29T23:59:59.5Z', '2026-11-24T24:00:00+08:00', '2026-11-24T08:00:00+15:00', '2026-11-24T08:00:00'),
  text,
)

test('the hand check never accepts a body the schema refuses (random bodies around every rule)', () => {
  const field = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(Symbol.for('keep')) }, { weight: 1, arbitrary: arb })
  fc.assert(
    fc.property(
      fc.record({
        benefitUseRequestId: field(anything),
        userId: field(anything),
        clientCode: field(anything),
        benefitInstanceId: field(anything),
        benefitTemplateId: field(anything),
        benefitUseDate: field(isoish),
        useScene: field(anything),
        usedAmount: field(
          fc.oneof(
            fc.constant(undefined),
            fc.constant(null),
            fc.record({ currency: currency, value: minorUnits }),
            // An array is not an object to the schema, even with the right properties.
            fc.record({ currency: currency, value: minorUnits }).map((fields) => Object.assign([], fields)),
          ),
        ),
        benefitCode: field(anything),
        benefitUrl: field(anything),
      }),
      (changes) => {
        const body = validBody() as unknown as Record<string, unknown>
        for (const [name, value] of Object.entries(changes)) if (value !== Symbol.for('keep')) body[name] = value
        const typed = body as unknown as SyncUsedBenefitRequest
        if (plainlyValid(typed)) assert.ok(SyncUsedBenefitRequest.safeParse(typed).success, JSON.stringify(typed))
      },
    ),
    { numRuns: 20_000 },
  )
})

test.run()
