/**
 * An ISV's own voucher codes: the merchant's tills accept only codes of the form
 * `SPICE-XXXX-XXXX-C`, where C is a check character, so a typo is caught at the
 * till before any call. The connector hands out codes from a template's pool
 * before generating its own, so the ISV generates the pool here and creates the
 * template with it.
 *
 * Everything the connector and the platform will read is typed with
 * `@benefitkit/shared`: the template file is the syncBenefit request (protocol
 * §6.1) without its request id, and the shared schema checks it here, before
 * the connector or the platform ever sees it.
 */
import { randomInt } from 'node:crypto'
import {
  SyncBenefitRequest,
  amountOf,
  formatIssues,
  formatProtocolTime,
  type BenefitContent,
  type KnownClientCode,
} from '@benefitkit/shared'

/** No 0/O, 1/I/L: readable over the phone and on a receipt. */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'

function checkCharacter(body: string): string {
  // A weighted sum modulo the alphabet size catches every single-character typo and most swaps.
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    const value = ALPHABET.indexOf(body[i]!)
    if (value < 0) continue
    sum += value * (i + 1)
  }
  return ALPHABET[sum % ALPHABET.length]!
}

export interface VoucherCodeFormat {
  /** Upper-case letters, e.g. SPICE. */
  prefix: string
  /** Characters in each of the two groups. Default 4. */
  groupLength?: number
}

/** Generates codes `PREFIX-XXXX-XXXX-C` and checks them. */
export function voucherCodes({ prefix, groupLength = 4 }: VoucherCodeFormat) {
  if (!/^[A-Z]{2,10}$/.test(prefix)) throw new Error('prefix: 2 to 10 upper-case letters')
  const group = () => Array.from({ length: groupLength }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
  const pattern = new RegExp(`^${prefix}-([${ALPHABET}]{${groupLength}})-([${ALPHABET}]{${groupLength}})-([${ALPHABET}])$`)
  return {
    /** `count` distinct codes. */
    generate(count: number): string[] {
      const codes = new Set<string>()
      while (codes.size < count) {
        const body = `${group()}${group()}`
        codes.add(`${prefix}-${body.slice(0, groupLength)}-${body.slice(groupLength)}-${checkCharacter(body)}`)
      }
      return [...codes]
    },
    /** Whether a code has this format and a correct check character (what the till checks). */
    isValid(code: string): boolean {
      const match = pattern.exec(code)
      return match !== null && checkCharacter(`${match[1]}${match[2]}`) === match[3]
    },
  }
}

/** A template file (product.md): the syncBenefit fields without benefitSyncRequestId, plus a code pool. */
export type TemplateFile = Omit<SyncBenefitRequest, 'benefitSyncRequestId'> & {
  codes?: Array<string | { code: string; pin?: string }>
}

export interface PooledTemplateInput {
  templateId: string
  title: string
  /** In major units of `currency`, e.g. "25" for HK$25.00. */
  value: string
  currency?: string
  clientCode?: KnownClientCode
  codes: string[]
  perUserLimit?: number
  validDays?: number
  /** How long users can collect it. Default 90 days from now. */
  collectDays?: number
  now?: number
}

/** A template whose stock is exactly its pool, checked against the shared syncBenefit schema. */
export function pooledTemplate(input: PooledTemplateInput): TemplateFile {
  const now = input.now ?? Date.now()
  const content: BenefitContent = {
    amount: amountOf(input.currency ?? 'HKD', input.value),
    description: `${input.title}. Show the code at the till.`,
    useScene: ['OFFLINE_STORE', 'MINI_PROGRAM'],
    codeType: 'CODE',
  }
  const file: TemplateFile = {
    benefitTemplateId: input.templateId,
    benefitProductCode: 'SPICE_TILL_VOUCHER',
    benefitTitle: input.title,
    benefitBeginTime: formatProtocolTime(now - 60_000, 480),
    benefitEndTime: formatProtocolTime(now + (input.collectDays ?? 90) * 86_400_000, 480),
    benefitValidPeriod: { type: 'RELATIVE', validDays: input.validDays ?? 30 },
    clientCode: input.clientCode ?? 'ALIPAY_HK',
    benefitContent: content,
    benefitBudget: { totalQuantity: input.codes.length, ...(input.perUserLimit ? { perUserLimit: input.perUserLimit } : {}) },
    codes: input.codes,
  }
  // The same schema the connector and the sandbox use: a mistake shows up here, naming the field.
  const { codes: _codes, ...fields } = file
  const checked = SyncBenefitRequest.safeParse({ ...fields, benefitSyncRequestId: 'check-only' })
  if (!checked.success) throw new Error(`template ${input.templateId}: ${formatIssues(checked.error)}`)
  return file
}
