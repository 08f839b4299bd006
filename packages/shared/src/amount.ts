/**
 * Amounts between major units ("10.50") and the protocol's minor units ("1050"),
 * by string arithmetic only: a float never touches money.
 */
import type { Amount } from './protocol/fields.js'

/** ISO 4217 minor-unit exponents that are not 2. */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0,
  UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
}

/** The value as written, for error messages (JSON.stringify throws on a bigint and writes NaN as null). */
function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/** How many minor-unit digits the currency has (2 unless ISO 4217 says otherwise). */
export function currencyExponent(currency: string): number {
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`not an ISO 4217 currency code: ${JSON.stringify(currency)}`)
  return EXPONENTS[currency] ?? 2
}

/**
 * `toMinorUnits("10.5", "HKD")` → `"1050"`; `toMinorUnits("500", "JPY")` → `"500"`.
 * Refuses more decimals than the currency has rather than rounding money.
 */
export function toMinorUnits(major: string | number | bigint, currency: string): string {
  const exponent = currencyExponent(currency)
  const text = typeof major === 'string' ? major.trim() : String(major)
  const match = /^(\d+)(?:\.(\d*))?$/.exec(text)
  if (!match) throw new RangeError(`not a non-negative decimal amount: ${show(major)}`)
  const whole = match[1] ?? '0'
  const fraction = (match[2] ?? '').replace(/0+$/, '')
  if (fraction.length > exponent) {
    throw new RangeError(`${currency} has ${exponent} decimal place(s); ${text} has more`)
  }
  const digits = (whole + fraction.padEnd(exponent, '0')).replace(/^0+(?=\d)/, '')
  return digits
}

/** `toMajorUnits("1050", "HKD")` → `"10.50"`; `toMajorUnits("500", "JPY")` → `"500"`. */
export function toMajorUnits(minor: string | bigint, currency: string): string {
  const exponent = currencyExponent(currency)
  const text = String(minor)
  if (!/^\d+$/.test(text)) throw new RangeError(`not a whole number of minor units: ${show(minor)}`)
  if (exponent === 0) return text.replace(/^0+(?=\d)/, '')
  const padded = text.padStart(exponent + 1, '0')
  const whole = padded.slice(0, -exponent).replace(/^0+(?=\d)/, '')
  return `${whole}.${padded.slice(-exponent)}`
}

/** `amountOf("HKD", "10.00")` → `{ currency: "HKD", value: "1000" }`. */
export function amountOf(currency: string, major: string | number | bigint): Amount {
  const value = toMinorUnits(major, currency)
  if (value === '0') throw new RangeError('an Amount must be positive')
  return { currency, value }
}

/** `"HKD 10.00"`, for people. */
export function formatAmount(amount: Amount): string {
  return `${amount.currency} ${toMajorUnits(amount.value, amount.currency)}`
}
