import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Amount, amountOf, currencyExponent, formatAmount, toMajorUnits, toMinorUnits } from '@benefitkit/shared'

const EXPONENTS = { HKD: 2, USD: 2, JPY: 0, KRW: 0, KWD: 3, BHD: 3 } as const
type Currency = keyof typeof EXPONENTS
const CURRENCIES = Object.keys(EXPONENTS) as Currency[]

test('ISO 4217 exponents: 2 for HKD/USD, 0 for JPY/KRW, 3 for KWD/BHD, 2 by default', () => {
  for (const currency of CURRENCIES) assert.is(currencyExponent(currency), EXPONENTS[currency], currency)
  assert.is(currencyExponent('EUR'), 2)
  assert.is(currencyExponent('XYZ'), 2)
  for (const bad of ['hkd', 'HK', 'HKDD', '', '12A']) assert.throws(() => currencyExponent(bad), /ISO 4217/, bad)
})

const TO_MINOR: Array<[string | number | bigint, Currency, string]> = [
  ['10.00', 'HKD', '1000'],
  ['10.5', 'HKD', '1050'],
  ['10.50', 'HKD', '1050'],
  ['10', 'HKD', '1000'],
  ['10.', 'HKD', '1000'],
  ['0.01', 'HKD', '1'],
  ['0.1', 'USD', '10'],
  [' 12.34 ', 'USD', '1234'],
  ['000012.34', 'USD', '1234'],
  ['500', 'JPY', '500'],
  ['500.000', 'JPY', '500'],
  ['1000000', 'KRW', '1000000'],
  ['1.5', 'KWD', '1500'],
  ['0.001', 'KWD', '1'],
  ['1.234', 'BHD', '1234'],
  ['1.2340', 'BHD', '1234'],
  [10.5, 'HKD', '1050'],
  [10.1, 'HKD', '1010'],
  [500, 'JPY', '500'],
  [0.125, 'KWD', '125'],
  [12n, 'HKD', '1200'],
  [12n, 'JPY', '12'],
  ['0', 'HKD', '0'],
]

for (const [major, currency, minor] of TO_MINOR) {
  test(`toMinorUnits(${typeof major === 'string' ? JSON.stringify(major) : String(major)}, ${currency}) → "${minor}"`, () => {
    assert.is(toMinorUnits(major, currency), minor)
  })
}

const TO_MAJOR: Array<[string | bigint, Currency, string]> = [
  ['1000', 'HKD', '10.00'],
  ['1050', 'HKD', '10.50'],
  ['5', 'HKD', '0.05'],
  ['0', 'USD', '0.00'],
  ['0001050', 'USD', '10.50'],
  ['500', 'JPY', '500'],
  ['007', 'KRW', '7'],
  ['1', 'KWD', '0.001'],
  ['1500', 'KWD', '1.500'],
  ['1234567', 'BHD', '1234.567'],
  [1050n, 'HKD', '10.50'],
]

for (const [minor, currency, major] of TO_MAJOR) {
  test(`toMajorUnits(${String(minor)}, ${currency}) → "${major}"`, () => {
    assert.is(toMajorUnits(minor, currency), major)
  })
}

test('refuses more decimals than the currency has, instead of rounding money', () => {
  const cases: Array<[string | number, Currency]> = [
    ['10.005', 'HKD'],
    ['0.001', 'USD'],
    ['1.5', 'JPY'],
    ['100.01', 'KRW'],
    ['1.0001', 'KWD'],
    ['0.0005', 'BHD'],
    [0.1 + 0.2, 'HKD'], // 0.30000000000000004: the float's noise is refused, not rounded
  ]
  for (const [major, currency] of cases) {
    assert.throws(() => toMinorUnits(major, currency), /decimal place/, `${String(major)} ${currency}`)
  }
})

test('refuses negatives, exponent notation and things that are not numbers', () => {
  const bad: Array<string | number | bigint> = [
    '-1', '-0.01', -5, -1n, '+1',
    '1e3', '1E3', 1e21, 1e-7, '1.5e2',
    'abc', '', ' ', '.5', '1.2.3', '1,000', '10 000', '0x10', 'NaN', NaN, Infinity, '１２', 'HKD 10',
  ]
  for (const value of bad) {
    assert.throws(() => toMinorUnits(value, 'HKD'), /not a non-negative decimal amount/, String(value))
  }
  for (const value of ['-1', '10.5', '1e3', '', 'abc', ' 1', -1n]) {
    assert.throws(() => toMajorUnits(value, 'HKD'), /not a whole number of minor units/, String(value))
  }
  assert.throws(() => toMinorUnits('1', 'hkd'), /ISO 4217/)
  assert.throws(() => toMajorUnits('1', 'hkd'), /ISO 4217/)
})

test('values beyond 2^53 stay exact (string arithmetic, no float)', () => {
  // 2^53 + 1 is the first integer a double cannot hold.
  assert.is(Number('9007199254740993'), 9007199254740992)
  assert.is(toMinorUnits('9007199254740993', 'JPY'), '9007199254740993')
  assert.is(toMinorUnits('90071992547409.93', 'HKD'), '9007199254740993')
  assert.is(toMajorUnits('9007199254740993', 'HKD'), '90071992547409.93')
  assert.is(toMinorUnits(9007199254740993n, 'KWD'), '9007199254740993000')
  const huge = '123456789012345678901234567890'
  assert.is(toMinorUnits(`${huge}.99`, 'USD'), `${huge}99`)
  assert.is(toMajorUnits(`${huge}999`, 'BHD'), `${huge}.999`)
  assert.is(toMajorUnits(BigInt(`${huge}1`), 'JPY'), `${huge}1`)
})

test('amountOf builds a protocol Amount in minor units and refuses zero', () => {
  assert.equal(amountOf('HKD', '10.00'), { currency: 'HKD', value: '1000' })
  assert.equal(amountOf('JPY', 500), { currency: 'JPY', value: '500' })
  assert.equal(amountOf('KWD', '0.5'), { currency: 'KWD', value: '500' })
  assert.equal(amountOf('BHD', 2n), { currency: 'BHD', value: '2000' })
  assert.equal(amountOf('USD', '0.01'), { currency: 'USD', value: '1' })
  assert.equal(amountOf('KRW', '1000'), { currency: 'KRW', value: '1000' })
  for (const zero of ['0', '0.00', '0.', 0, 0n]) assert.throws(() => amountOf('HKD', zero), /positive/, String(zero))
  assert.throws(() => amountOf('JPY', '0.5'), /decimal place/)
  assert.throws(() => amountOf('HKD', '-1'))
  for (const [currency, major] of [['HKD', '10'], ['JPY', '500'], ['KWD', '1.234'], ['USD', '0.01']] as const) {
    assert.ok(Amount.safeParse(amountOf(currency, major)).success, `${currency} ${major}`)
  }
})

test('formatAmount writes major units with the currency\'s decimals', () => {
  assert.is(formatAmount({ currency: 'HKD', value: '1000' }), 'HKD 10.00')
  assert.is(formatAmount({ currency: 'USD', value: '5' }), 'USD 0.05')
  assert.is(formatAmount({ currency: 'JPY', value: '500' }), 'JPY 500')
  assert.is(formatAmount({ currency: 'KRW', value: '15000' }), 'KRW 15000')
  assert.is(formatAmount({ currency: 'KWD', value: '1500' }), 'KWD 1.500')
  assert.is(formatAmount({ currency: 'BHD', value: '7' }), 'BHD 0.007')
})

test('property: minor → major → minor is the identity, for any size', () => {
  fc.assert(
    fc.property(fc.constantFrom(...CURRENCIES), fc.bigInt({ min: 1n, max: 10n ** 40n }), (currency, minor) => {
      const major = toMajorUnits(minor, currency)
      assert.is(toMinorUnits(major, currency), String(minor))
      assert.is(major.includes('.') ? major.split('.')[1]!.length : 0, EXPONENTS[currency])
    }),
    { numRuns: 3000 },
  )
})

test('property: major → minor equals whole × 10^exponent + fraction, computed with BigInt', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CURRENCIES),
      fc.bigInt({ min: 0n, max: 10n ** 30n }),
      fc.nat({ max: 999 }),
      fc.nat({ max: 3 }),
      (currency, whole, fractionSeed, trailingZeros) => {
        const exponent = EXPONENTS[currency]
        const fraction = exponent === 0 ? '' : String(fractionSeed % 10 ** exponent).padStart(exponent, '0')
        const text = fraction ? `${whole}.${fraction}${'0'.repeat(trailingZeros)}` : String(whole)
        const expected = whole * 10n ** BigInt(exponent) + BigInt(fraction || '0')
        assert.is(toMinorUnits(text, currency), String(expected))
        assert.is(toMajorUnits(toMinorUnits(text, currency), currency), toMajorUnits(expected, currency))
      },
    ),
    { numRuns: 3000 },
  )
})

test('property: a number input equals its decimal string, whenever it is representable', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), fc.nat({ max: 99 }), (whole, cents) => {
      const text = `${whole}.${String(cents).padStart(2, '0')}`
      assert.is(toMinorUnits(Number(text), 'HKD'), toMinorUnits(text, 'HKD'))
    }),
    { numRuns: 2000 },
  )
})

test.run()
