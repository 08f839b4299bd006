import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { z } from 'zod'
import {
  BenefitValidPeriod,
  benefitApis,
  CLIENT_CODES,
  ExternalBenefitDetail,
  FlatAnswer,
  formatIssues,
  ISV_API_NAMES,
  isKnownClientCode,
  keyParameterFingerprint,
  PLATFORM_API_NAMES,
  ResultAnswer,
  type BenefitApiName,
} from '@benefitkit/shared'

/* ------------------------------------------------------------ valid inputs */

const amount = { currency: 'HKD', value: '1000' }

const valid = {
  syncBenefit: {
    benefitSyncRequestId: 'sync-20261124-0001',
    benefitTemplateId: 'tpl-coffee-10',
    benefitProductCode: 'SPICE_SECRET_VOUCHER',
    benefitTitle: 'HK$10 off any coffee',
    benefitBeginTime: '2026-12-01T00:00:00+08:00',
    benefitEndTime: '2026-12-31T23:59:59.999Z',
    benefitValidPeriod: { type: 'ABSOLUTE', validBeginTime: '2026-12-01T00:00:00+08:30', validEndTime: '2027-01-31T23:59:59-03:00' },
    clientCode: 'ALIPAY_HK',
    benefitContent: { amount, description: 'Any size, any store', useScene: ['MINI_PROGRAM', 'OFFLINE_STORE'], codeType: 'CODE_AND_PIN' },
    benefitBudget: { totalQuantity: 1000, perUserLimit: 2 },
  },
  inquireBenefitSync: { benefitSyncRequestId: 'sync-20261124-0001' },
  syncUsedBenefit: {
    benefitUseRequestId: 'use-20261124-0001',
    userId: '2160120000000000',
    clientCode: 'ALIPAY_HK',
    benefitInstanceId: 'INST-1',
    benefitTemplateId: 'tpl-coffee-10',
    benefitUseDate: '2026-11-24T08:00:00.123+08:00',
    useScene: 'MINI_PROGRAM',
    usedAmount: amount,
    benefitCode: 'ABCD-1234',
  },
  notifyBenefitSync: { benefitSyncRequestId: 'sync-20261124-0001', syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL', syncFailReason: 'title too vague' },
  issueBenefit: { benefitIssueRequestId: 'issue-20261124-0001', userId: '2160120000000000', benefitTemplateId: 'tpl-coffee-10', quantity: 2, clientCode: 'TNG' },
  reverseBenefitIssue: { benefitIssueRequestId: 'issue-20261124-0001', userId: '2160120000000000', benefitTemplateId: 'tpl-coffee-10', quantity: 2 },
  inquireBenefitIssue: { benefitIssueRequestId: 'issue-20261124-0001' },
} satisfies Record<BenefitApiName, Record<string, unknown>>

/** The required fields of each request (protocol.md §6). */
const required: Record<BenefitApiName, string[]> = {
  syncBenefit: [
    'benefitSyncRequestId', 'benefitTemplateId', 'benefitProductCode', 'benefitTitle', 'benefitBeginTime',
    'benefitEndTime', 'benefitValidPeriod', 'clientCode', 'benefitContent', 'benefitBudget',
  ],
  inquireBenefitSync: ['benefitSyncRequestId'],
  syncUsedBenefit: ['benefitUseRequestId', 'userId', 'clientCode', 'benefitInstanceId', 'benefitTemplateId', 'benefitUseDate', 'useScene'],
  notifyBenefitSync: ['benefitSyncRequestId', 'syncStatus'],
  issueBenefit: ['benefitIssueRequestId', 'userId', 'benefitTemplateId', 'quantity'],
  reverseBenefitIssue: ['benefitIssueRequestId'],
  inquireBenefitIssue: ['benefitIssueRequestId'],
}

const API_NAMES = Object.keys(valid) as BenefitApiName[]

/* ----------------------------------------------------------------- helpers */

function withField(base: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base)
  const parts = path.split('.')
  let target: Record<string, unknown> = copy
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>
  const last = parts[parts.length - 1]!
  if (value === undefined) delete target[last]
  else target[last] = value
  return copy
}

/** Parses, expects a rejection, and returns formatIssues' text, which must name `path`. */
function rejection(schema: z.ZodType, input: unknown, path: string): string {
  const result = schema.safeParse(input)
  assert.not.ok(result.success, `expected ${path} to be rejected in ${JSON.stringify(input)}`)
  const text = formatIssues(result.error!)
  assert.ok(text.includes(`${path}: `), `message does not name ${path}: ${text}`)
  return text
}

/* ------------------------------------------------------------- the contract */

const contract = suite('contract')

contract('the seven APIs, with the paths and directions of protocol.md §6', () => {
  assert.equal(API_NAMES.sort(), Object.keys(benefitApis).sort())
  assert.equal([...PLATFORM_API_NAMES, ...ISV_API_NAMES].sort(), Object.keys(benefitApis).sort())
  const expected: Record<BenefitApiName, [string, string, string]> = {
    syncBenefit: ['/v1/marketing/benefit/sync', 'isv-to-platform', 'result'],
    inquireBenefitSync: ['/v1/marketing/benefit/sync/query', 'isv-to-platform', 'result'],
    syncUsedBenefit: ['/v1/marketing/benefit/used/sync', 'isv-to-platform', 'result'],
    notifyBenefitSync: ['/isv/benefit/sync/notify', 'platform-to-isv', 'flat'],
    issueBenefit: ['/isv/benefit/issue', 'platform-to-isv', 'flat'],
    reverseBenefitIssue: ['/isv/benefit/reverse', 'platform-to-isv', 'flat'],
    inquireBenefitIssue: ['/isv/benefit/query', 'platform-to-isv', 'flat'],
  }
  for (const name of API_NAMES) {
    const api = benefitApis[name]
    assert.equal([api.path, api.direction, api.answerShape], expected[name], name)
  }
})

contract('idempotency fields are request fields (protocol.md §4)', () => {
  assert.is(benefitApis.syncBenefit.idempotencyField, 'benefitSyncRequestId')
  assert.is(benefitApis.syncUsedBenefit.idempotencyField, 'benefitUseRequestId')
  assert.is(benefitApis.issueBenefit.idempotencyField, 'benefitIssueRequestId')
  assert.is(benefitApis.reverseBenefitIssue.idempotencyField, 'benefitIssueRequestId')
  for (const name of API_NAMES) {
    const api = benefitApis[name]
    if ('idempotencyField' in api) assert.ok(required[name].includes(api.idempotencyField), name)
  }
})

for (const name of API_NAMES) {
  contract(`a valid ${name} request parses`, () => {
    const result = benefitApis[name].request.safeParse(valid[name])
    assert.ok(result.success, result.success ? '' : formatIssues(result.error))
    assert.equal(result.data, valid[name])
  })

  contract(`${name}: every missing required field "is required"`, () => {
    for (const field of required[name]) {
      const text = rejection(benefitApis[name].request, withField(valid[name], field, undefined), field)
      assert.ok(text.includes(`${field}: is required`), text)
    }
  })
}

contract('optional fields may be left out', () => {
  const minimal = {
    syncUsedBenefit: withField(withField(valid.syncUsedBenefit, 'usedAmount', undefined), 'benefitCode', undefined),
    issueBenefit: withField(valid.issueBenefit, 'clientCode', undefined),
    reverseBenefitIssue: { benefitIssueRequestId: 'x' },
    notifyBenefitSync: { benefitSyncRequestId: 'x', syncStatus: 'SUCCESS' },
  }
  for (const [name, body] of Object.entries(minimal)) {
    assert.ok(benefitApis[name as BenefitApiName].request.safeParse(body).success, name)
  }
})

/* ----------------------------------------------------------- field rules §5 */

const rules = suite('field rules')

const ID_FIELDS: Array<[BenefitApiName, string]> = [
  ['syncBenefit', 'benefitSyncRequestId'],
  ['syncBenefit', 'benefitTemplateId'],
  ['syncUsedBenefit', 'benefitUseRequestId'],
  ['syncUsedBenefit', 'benefitInstanceId'],
  ['issueBenefit', 'benefitIssueRequestId'],
  ['issueBenefit', 'benefitTemplateId'],
  ['inquireBenefitIssue', 'benefitIssueRequestId'],
  ['notifyBenefitSync', 'benefitSyncRequestId'],
]

for (const [api, field] of ID_FIELDS) {
  rules(`${api}.${field}: 64 characters pass, 65 are refused`, () => {
    const schema = benefitApis[api].request
    assert.ok(schema.safeParse(withField(valid[api], field, 'a'.repeat(64))).success)
    const text = rejection(schema, withField(valid[api], field, 'a'.repeat(65)), field)
    assert.match(text, /at most 64/)
  })

  rules(`${api}.${field}: @, # and ? are refused`, () => {
    for (const ch of ['@', '#', '?']) {
      const text = rejection(benefitApis[api].request, withField(valid[api], field, `abc${ch}def`), field)
      assert.match(text, /@, # or \?/)
    }
  })
}

rules('ids must not be empty or a number', () => {
  rejection(benefitApis.issueBenefit.request, withField(valid.issueBenefit, 'benefitIssueRequestId', ''), 'benefitIssueRequestId')
  const text = rejection(benefitApis.issueBenefit.request, withField(valid.issueBenefit, 'benefitIssueRequestId', 12345), 'benefitIssueRequestId')
  assert.match(text, /must be a string/)
})

rules('userId: 32 characters pass, 33 are refused (issueBenefit, syncUsedBenefit, reverseBenefitIssue)', () => {
  for (const api of ['issueBenefit', 'syncUsedBenefit', 'reverseBenefitIssue'] as const) {
    const schema = benefitApis[api].request
    assert.ok(schema.safeParse(withField(valid[api], 'userId', 'u'.repeat(32))).success, api)
    const text = rejection(schema, withField(valid[api], 'userId', 'u'.repeat(33)), 'userId')
    assert.match(text, /at most 32/)
    rejection(schema, withField(valid[api], 'userId', 'user@example'), 'userId')
  }
})

rules('benefitTitle: 128 characters pass, 129 are refused', () => {
  const schema = benefitApis.syncBenefit.request
  assert.ok(schema.safeParse(withField(valid.syncBenefit, 'benefitTitle', 't'.repeat(128))).success)
  assert.match(rejection(schema, withField(valid.syncBenefit, 'benefitTitle', 't'.repeat(129)), 'benefitTitle'), /at most 128/)
  rejection(schema, withField(valid.syncBenefit, 'benefitTitle', ''), 'benefitTitle')
})

rules('resultMessage: 256 characters pass, 257 are refused, in both answer shapes', () => {
  const flat = { success: true, resultCode: 'SUCCESS', resultMessage: 'm'.repeat(256) }
  assert.ok(FlatAnswer.safeParse(flat).success)
  assert.match(rejection(FlatAnswer, { ...flat, resultMessage: 'm'.repeat(257) }, 'resultMessage'), /at most 256/)
  const nested = { result: { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'm'.repeat(256) } }
  assert.ok(ResultAnswer.safeParse(nested).success)
  rejection(ResultAnswer, { result: { ...nested.result, resultMessage: 'm'.repeat(257) } }, 'result.resultMessage')
  rejection(benefitApis.notifyBenefitSync.request, withField(valid.notifyBenefitSync, 'syncFailReason', 'r'.repeat(257)), 'syncFailReason')
})

rules('resultCode: at most 64 characters', () => {
  rejection(FlatAnswer, { success: false, resultCode: 'X'.repeat(65), resultMessage: '' }, 'resultCode')
})

const BAD_TIMES: Array<[string, unknown]> = [
  ['no offset', '2026-11-24T08:00:00'],
  ['no offset, with ms', '2026-11-24T08:00:00.123'],
  ['a date only', '2026-11-24'],
  ['a space instead of T', '2026-11-24 08:00:00+08:00'],
  ['an offset without colon', '2026-11-24T08:00:00+0800'],
  ['not a date at all', 'tomorrow at noon'],
  ['month 13', '2026-13-01T00:00:00+08:00'],
  ['30 February', '2026-02-30T00:00:00+08:00'],
  ['hour 24', '2026-11-24T24:00:00Z'],
  ['offset +25:00', '2026-11-24T08:00:00+25:00'],
  ['epoch ms as a number', 1763971200000],
  ['empty', ''],
]

for (const [what, value] of BAD_TIMES) {
  rules(`a time that is ${what} is refused, naming the field`, () => {
    rejection(benefitApis.syncUsedBenefit.request, withField(valid.syncUsedBenefit, 'benefitUseDate', value), 'benefitUseDate')
    rejection(benefitApis.syncBenefit.request, withField(valid.syncBenefit, 'benefitValidPeriod.validBeginTime', value), 'benefitValidPeriod.validBeginTime')
  })
}

rules('times with +08:00, +08:30, -03:00, Z, with and without fractions, parse', () => {
  for (const t of ['2026-11-24T08:00:00+08:00', '2026-11-24T08:00:00.5+08:30', '2026-11-24T08:00:00.123-03:00', '2026-11-24T00:00:00Z', '2028-02-29T00:00:00.000000001Z']) {
    assert.ok(benefitApis.syncUsedBenefit.request.safeParse(withField(valid.syncUsedBenefit, 'benefitUseDate', t)).success, t)
  }
})

const BAD_AMOUNTS: Array<[string, string, unknown, RegExp]> = [
  ['value "0"', 'value', '0', /positive whole number/],
  ['value "-1"', 'value', '-1', /positive whole number/],
  ['value "10.5"', 'value', '10.5', /positive whole number/],
  ['value "01"', 'value', '01', /positive whole number/],
  ['value " 100"', 'value', ' 100', /positive whole number/],
  ['value "1e3"', 'value', '1e3', /positive whole number/],
  ['value as a number', 'value', 1000, /must be a string of minor units/],
  ['value missing', 'value', undefined, /is required/],
  ['lowercase currency', 'currency', 'hkd', /ISO 4217/],
  ['currency of 4 letters', 'currency', 'HKDD', /ISO 4217/],
  ['currency missing', 'currency', undefined, /is required/],
]

for (const [what, field, value, message] of BAD_AMOUNTS) {
  rules(`Amount: ${what} is refused`, () => {
    const text = rejection(
      benefitApis.syncUsedBenefit.request,
      withField(valid.syncUsedBenefit, `usedAmount.${field}`, value),
      `usedAmount.${field}`,
    )
    assert.match(text, message)
    rejection(benefitApis.syncBenefit.request, withField(valid.syncBenefit, `benefitContent.amount.${field}`, value), `benefitContent.amount.${field}`)
  })
}

rules('Amount: values in minor units pass', () => {
  for (const value of ['1', '1000', '500', '999999999999999999']) {
    assert.ok(benefitApis.syncUsedBenefit.request.safeParse(withField(valid.syncUsedBenefit, 'usedAmount.value', value)).success, value)
  }
})

rules('quantity: a whole number from 1', () => {
  const schema = benefitApis.issueBenefit.request
  assert.match(rejection(schema, withField(valid.issueBenefit, 'quantity', 0), 'quantity'), /at least 1/)
  assert.match(rejection(schema, withField(valid.issueBenefit, 'quantity', 1.5), 'quantity'), /whole number/)
  assert.match(rejection(schema, withField(valid.issueBenefit, 'quantity', '2'), 'quantity'), /whole number/)
})

rules('notifyBenefitSync: FAIL without syncFailCode is refused, naming syncFailCode', () => {
  const text = rejection(benefitApis.notifyBenefitSync.request, withField(valid.notifyBenefitSync, 'syncFailCode', undefined), 'syncFailCode')
  assert.match(text, /required when syncStatus is FAIL/)
  rejection(benefitApis.notifyBenefitSync.request, withField(valid.notifyBenefitSync, 'syncFailCode', 'BAD_LUCK'), 'syncFailCode')
  assert.ok(benefitApis.notifyBenefitSync.request.safeParse({ benefitSyncRequestId: 'x', syncStatus: 'PROCESSING' }).success)
})

rules('ABSOLUTE validity ending before it begins is refused, naming validEndTime', () => {
  const period = { type: 'ABSOLUTE', validBeginTime: '2026-12-31T00:00:00+08:00', validEndTime: '2026-12-01T00:00:00+08:00' }
  assert.match(rejection(BenefitValidPeriod, period, 'validEndTime'), /after validBeginTime/)
  rejection(benefitApis.syncBenefit.request, withField(valid.syncBenefit, 'benefitValidPeriod', period), 'benefitValidPeriod.validEndTime')
  // Equal instants written in different offsets are not "after" either.
  rejection(BenefitValidPeriod, { ...period, validBeginTime: '2026-12-01T00:00:00Z', validEndTime: '2026-12-01T08:00:00+08:00' }, 'validEndTime')
  assert.ok(BenefitValidPeriod.safeParse({ type: 'RELATIVE', validDays: 30 }).success)
  rejection(BenefitValidPeriod, { type: 'RELATIVE', validDays: 0 }, 'validDays')
})

rules('syncBenefit: benefitEndTime before benefitBeginTime is refused', () => {
  rejection(benefitApis.syncBenefit.request, withField(valid.syncBenefit, 'benefitEndTime', '2026-11-30T00:00:00+08:00'), 'benefitEndTime')
})

rules('enumerations name the field', () => {
  rejection(benefitApis.syncUsedBenefit.request, withField(valid.syncUsedBenefit, 'useScene', 'ONLINE'), 'useScene')
  rejection(benefitApis.syncBenefit.request, withField(valid.syncBenefit, 'benefitContent.codeType', 'QR'), 'benefitContent.codeType')
  rejection(benefitApis.notifyBenefitSync.request, withField(valid.notifyBenefitSync, 'syncStatus', 'DONE'), 'syncStatus')
})

rules('formatIssues lists every problem, one per field', () => {
  const result = benefitApis.issueBenefit.request.safeParse({ benefitIssueRequestId: 'a#b', userId: 'u'.repeat(40), benefitTemplateId: 't', quantity: 0 })
  assert.not.ok(result.success)
  const text = formatIssues(result.error!)
  for (const field of ['benefitIssueRequestId', 'userId', 'quantity']) assert.ok(text.includes(`${field}: `), text)
  assert.not.ok(text.includes('benefitTemplateId'), text)
  assert.is(text.split('; ').length, 3, text)
})

/* ----------------------------------------------------------------- answers */

const answers = suite('answers')

answers('the result shape parses, with and without resultMessage', () => {
  assert.ok(ResultAnswer.safeParse({ result: { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'success' } }).success)
  assert.ok(ResultAnswer.safeParse({ result: { resultStatus: 'U', resultCode: 'SYSTEM_ERROR' } }).success)
  rejection(ResultAnswer, { result: { resultStatus: 'X', resultCode: 'SUCCESS' } }, 'result.resultStatus')
  for (const name of PLATFORM_API_NAMES) {
    assert.ok(benefitApis[name].answer.safeParse({ result: { resultStatus: 'F', resultCode: 'PARAM_ILLEGAL', resultMessage: 'x' } }).success, name)
  }
})

answers('the flat shape parses', () => {
  assert.ok(FlatAnswer.safeParse({ success: true, resultCode: 'SUCCESS', resultMessage: 'success' }).success)
  assert.ok(FlatAnswer.safeParse({ success: false, resultCode: 'BIZ_ERROR_NO_RETRY', resultMessage: 'out of stock' }).success)
  rejection(FlatAnswer, { success: 'true', resultCode: 'SUCCESS', resultMessage: '' }, 'success')
  for (const name of ISV_API_NAMES) {
    assert.ok(benefitApis[name].answer.safeParse({ success: true, resultCode: 'SUCCESS', resultMessage: 'success' }).success, name)
  }
})

const detail = {
  benefitInstanceId: 'INST-1',
  benefitTemplateId: 'tpl-coffee-10',
  amount,
  status: 'ACTIVATED',
  activateTime: '2026-11-24T08:00:00+08:30',
  expireTime: '2026-12-24T08:00:00+08:30',
  benefitCode: 'ABCD-1234',
  benefitPin: '9876',
  extendInfo: '{"tier":"gold"}',
}

answers('issueBenefit and inquireBenefitIssue answers carry ExternalBenefitDetail entries', () => {
  const body = { success: true, resultCode: 'SUCCESS', resultMessage: 'success', benefitDetails: [detail, { ...detail, benefitInstanceId: 'INST-2' }] }
  assert.ok(benefitApis.issueBenefit.answer.safeParse(body).success)
  assert.ok(benefitApis.inquireBenefitIssue.answer.safeParse(body).success)
  rejection(benefitApis.issueBenefit.answer, { ...body, benefitDetails: [{ ...detail, status: 'ACTIVE' }] }, 'benefitDetails.0.status')
  rejection(benefitApis.issueBenefit.answer, { ...body, benefitDetails: [{ ...detail, expireTime: '2026-12-24' }] }, 'benefitDetails.0.expireTime')
  rejection(ExternalBenefitDetail, { ...detail, benefitInstanceId: 'i'.repeat(65) }, 'benefitInstanceId')
  rejection(ExternalBenefitDetail, withField(detail, 'activateTime', undefined), 'activateTime')
})

answers('inquireBenefitSync answer carries the sync status', () => {
  const body = { result: { resultStatus: 'S', resultCode: 'SUCCESS', resultMessage: 'success' }, syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL', syncFailReason: 'no' }
  assert.ok(benefitApis.inquireBenefitSync.answer.safeParse(body).success)
  rejection(benefitApis.inquireBenefitSync.answer, { ...body, syncStatus: 'DONE' }, 'syncStatus')
})

/* ------------------------------------------------------------- clientCode */

const clientCodes = suite('clientCode')

clientCodes('the ten known super apps are known', () => {
  assert.equal([...CLIENT_CODES].sort(), ['ALIPAY_CN', 'ALIPAY_HK', 'BKASH', 'CHOPE', 'DANA', 'GCASH', 'KAKAOPAY', 'LAZADA', 'TNG', 'TRUEMONEY'])
  for (const code of CLIENT_CODES) assert.ok(isKnownClientCode(code), code)
})

clientCodes('an unknown clientCode is accepted by the schema but is not known', () => {
  const body = withField(valid.issueBenefit, 'clientCode', 'NEW_SUPER_APP')
  assert.ok(benefitApis.issueBenefit.request.safeParse(body).success)
  assert.not.ok(isKnownClientCode('NEW_SUPER_APP'))
  assert.not.ok(isKnownClientCode('alipay_hk'))
})

clientCodes('a clientCode that is not an upper-case code is refused', () => {
  rejection(benefitApis.issueBenefit.request, withField(valid.issueBenefit, 'clientCode', 'alipay_hk'), 'clientCode')
  rejection(benefitApis.syncUsedBenefit.request, withField(valid.syncUsedBenefit, 'clientCode', ''), 'clientCode')
})

/* ------------------------------------------------------------ fingerprints */

const fingerprint = suite('keyParameterFingerprint')

function reordered(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body)
      .reverse()
      .map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? reordered(v as Record<string, unknown>) : v]),
  )
}

for (const name of ['syncBenefit', 'syncUsedBenefit', 'issueBenefit', 'reverseBenefitIssue'] as const) {
  fingerprint(`${name}: field order does not matter`, () => {
    const body = valid[name]
    assert.is.not(JSON.stringify(reordered(body)), JSON.stringify(body))
    assert.is(keyParameterFingerprint(name, reordered(body)), keyParameterFingerprint(name, body))
    assert.ok(keyParameterFingerprint(name, body).length > 0)
  })
}

fingerprint('the exact bytes: stored fingerprints are compared with those of later repeats, across versions', () => {
  assert.is(
    keyParameterFingerprint('issueBenefit', { benefitIssueRequestId: 'b', userId: 'u"2\\', benefitTemplateId: 'tpl é中😀', quantity: 100, clientCode: 'ALIPAY_HK' }),
    '{"benefitTemplateId":"tpl é中😀","clientCode":"ALIPAY_HK","quantity":100,"userId":"u\\"2\\\\"}',
  )
  assert.is(
    keyParameterFingerprint('issueBenefit', { benefitIssueRequestId: 'a', userId: 'u1', benefitTemplateId: 'tpl_1', quantity: 1 }),
    '{"benefitTemplateId":"tpl_1","clientCode":null,"quantity":1,"userId":"u1"}',
  )
  assert.is(
    keyParameterFingerprint('syncUsedBenefit', { userId: 'u1', clientCode: 'ALIPAY_HK', benefitInstanceId: 'bi1', benefitTemplateId: 't1', usedAmount: { value: '1000', currency: 'HKD' } }),
    '{"benefitInstanceId":"bi1","benefitTemplateId":"t1","clientCode":"ALIPAY_HK","usedAmount":{"currency":"HKD","value":"1000"},"userId":"u1"}',
  )
  assert.is(keyParameterFingerprint('reverseBenefitIssue', { benefitIssueRequestId: 'x', userId: 'u1', quantity: 2 }), '{"benefitTemplateId":null,"quantity":2,"userId":"u1"}')
})

fingerprint('issueBenefit: each key parameter changes it', () => {
  const base = keyParameterFingerprint('issueBenefit', valid.issueBenefit)
  const changes: Array<[string, unknown]> = [
    ['userId', 'someone-else'],
    ['benefitTemplateId', 'tpl-other'],
    ['quantity', 3],
    ['clientCode', 'GCASH'],
    ['clientCode', undefined],
  ]
  for (const [field, value] of changes) {
    assert.is.not(keyParameterFingerprint('issueBenefit', withField(valid.issueBenefit, field, value)), base, `${field}=${String(value)}`)
  }
})

fingerprint('issueBenefit: fields that are not key parameters are ignored', () => {
  const base = keyParameterFingerprint('issueBenefit', valid.issueBenefit)
  assert.is(keyParameterFingerprint('issueBenefit', withField(valid.issueBenefit, 'benefitIssueRequestId', 'another-id')), base)
  assert.is(keyParameterFingerprint('issueBenefit', { ...valid.issueBenefit, traceId: 'abc', extra: { a: 1 } }), base)
})

fingerprint('syncUsedBenefit: usedAmount is a key parameter, nested key order does not matter', () => {
  const body = valid.syncUsedBenefit
  const base = keyParameterFingerprint('syncUsedBenefit', body)
  assert.is(keyParameterFingerprint('syncUsedBenefit', { ...body, usedAmount: { value: '1000', currency: 'HKD' } }), base)
  assert.is.not(keyParameterFingerprint('syncUsedBenefit', withField(body, 'usedAmount.value', '1001')), base)
  assert.is.not(keyParameterFingerprint('syncUsedBenefit', withField(body, 'benefitInstanceId', 'INST-2')), base)
  assert.is(keyParameterFingerprint('syncUsedBenefit', withField(body, 'benefitUseDate', '2026-11-25T00:00:00Z')), base)
})

fingerprint('syncBenefit: the whole body is the key, at every depth', () => {
  const base = keyParameterFingerprint('syncBenefit', valid.syncBenefit)
  assert.is.not(keyParameterFingerprint('syncBenefit', withField(valid.syncBenefit, 'benefitBudget.totalQuantity', 1001)), base)
  assert.is.not(keyParameterFingerprint('syncBenefit', withField(valid.syncBenefit, 'benefitTitle', 'other')), base)
})

fingerprint('APIs without an idempotency id have no key parameters', () => {
  assert.is(keyParameterFingerprint('inquireBenefitIssue', valid.inquireBenefitIssue), '')
  assert.is(keyParameterFingerprint('inquireBenefitSync', valid.inquireBenefitSync), '')
})

contract.run()
rules.run()
answers.run()
clientCodes.run()
fingerprint.run()
