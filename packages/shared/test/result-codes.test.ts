import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  classifyAnswer,
  isKnownResultCode,
  RESULT_CODES,
  statusOfCode,
  type AnswerOutcome,
  type KnownResultCode,
  type ResultStatus,
} from '@benefitkit/shared'

/** The table of protocol.md §3, written out independently of the source. */
const SPEC_TABLE: Record<KnownResultCode, ResultStatus> = {
  SUCCESS: 'S',
  PARAM_ILLEGAL: 'F',
  BIZ_ERROR_NEED_RETRY: 'U',
  BIZ_ERROR_NO_RETRY: 'F',
  SYSTEM_ERROR: 'U',
  ACCESS_FORBIDDEN: 'F',
  UNKNOWN_EXCEPTION: 'U',
  SYNC_REQUEST_ID_NOT_EXIST: 'F',
  ISSUE_REQUEST_ID_NOT_EXIST: 'F',
  INVALID_SIGNATURE: 'F',
  KEY_NOT_FOUND: 'F',
  INVALID_CLIENT: 'F',
  REPEAT_REQ_INCONSISTENT: 'F',
  METHOD_NOT_SUPPORTED: 'F',
  MEDIA_TYPE_NOT_ACCEPTABLE: 'F',
  INVALID_API: 'F',
  REQUEST_TRAFFIC_EXCEED_LIMIT: 'U',
}

const signed200 = { httpStatus: 200, signatureValid: true }
const resultBody = (resultStatus: unknown, resultCode: unknown, resultMessage: unknown = 'msg') => ({
  result: { resultStatus, resultCode, resultMessage },
})
const flatBody = (success: unknown, resultCode: unknown, resultMessage: unknown = 'msg') => ({ success, resultCode, resultMessage })

function expectUnknown(outcome: AnswerOutcome, code?: string): void {
  assert.is(outcome.status, 'U', JSON.stringify(outcome))
  assert.is(outcome.retryable, true)
  if (code !== undefined) assert.is(outcome.code, code)
  assert.type(outcome.message, 'string')
}

test('RESULT_CODES is exactly the table of protocol.md §3', () => {
  assert.equal(Object.keys(RESULT_CODES).sort(), Object.keys(SPEC_TABLE).sort())
  for (const [code, status] of Object.entries(SPEC_TABLE)) {
    const info = RESULT_CODES[code as KnownResultCode]
    assert.is(info.status, status, code)
    // U is "repeat with the same id, or inquire"; F is final; S is done.
    assert.is(info.retryable, status === 'U', code)
    assert.ok(isKnownResultCode(code))
    assert.is(statusOfCode(code), status)
  }
})

for (const [code, status] of Object.entries(SPEC_TABLE)) {
  test(`${code} → ${status} in the result shape`, () => {
    const outcome = classifyAnswer({ ...signed200, body: resultBody(status, code, `about ${code}`) })
    assert.equal(outcome, { status, code, message: `about ${code}`, retryable: status === 'U' })
  })

  test(`${code} → ${status} in the flat shape`, () => {
    const outcome = classifyAnswer({ ...signed200, body: flatBody(status === 'S', code, `about ${code}`) })
    assert.equal(outcome, { status, code, message: `about ${code}`, retryable: status === 'U' })
  })
}

test('an unknown code is U (as SYSTEM_ERROR), in both shapes, and keeps its code', () => {
  for (const code of ['NEW_CODE_FROM_2027', 'success', 'Success']) {
    assert.not.ok(isKnownResultCode(code))
    assert.is(statusOfCode(code), 'U')
    expectUnknown(classifyAnswer({ ...signed200, body: resultBody('S', code) }), code)
    expectUnknown(classifyAnswer({ ...signed200, body: resultBody('F', code) }), code)
    expectUnknown(classifyAnswer({ ...signed200, body: flatBody(true, code) }), code)
    expectUnknown(classifyAnswer({ ...signed200, body: flatBody(false, code) }), code)
  }
  // Inherited property names are not codes.
  for (const code of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    assert.not.ok(isKnownResultCode(code), code)
    expectUnknown(classifyAnswer({ ...signed200, body: flatBody(false, code) }), code)
  }
})

test('a non-200 is U even with a signed SUCCESS body', () => {
  for (const httpStatus of [0, 201, 204, 301, 400, 401, 404, 429, 500, 502, 503, 504]) {
    const outcome = classifyAnswer({ httpStatus, signatureValid: true, body: resultBody('S', 'SUCCESS') })
    expectUnknown(outcome, `HTTP_${httpStatus}`)
    expectUnknown(classifyAnswer({ httpStatus, signatureValid: true, body: flatBody(true, 'SUCCESS') }))
  }
})

test('an unsigned or badly signed answer is U, never success', () => {
  expectUnknown(classifyAnswer({ httpStatus: 200, signatureValid: false, body: resultBody('S', 'SUCCESS') }), 'UNSIGNED_ANSWER')
  expectUnknown(classifyAnswer({ httpStatus: 200, signatureValid: false, body: flatBody(true, 'SUCCESS') }), 'UNSIGNED_ANSWER')
  // Even a final-looking F is not trusted without a signature.
  expectUnknown(classifyAnswer({ httpStatus: 200, signatureValid: false, body: flatBody(false, 'BIZ_ERROR_NO_RETRY') }))
})

const MALFORMED: Array<[string, unknown]> = [
  ['undefined (body did not parse)', undefined],
  ['null', null],
  ['a string', 'SUCCESS'],
  ['a number', 200],
  ['true', true],
  ['an array', [{ success: true, resultCode: 'SUCCESS' }]],
  ['an empty object', {}],
  ['result: null', { result: null }],
  ['result as a string', { result: 'SUCCESS' }],
  ['an empty result', { result: {} }],
  ['result without resultCode', { result: { resultStatus: 'S', resultMessage: 'ok' } }],
  ['result with a numeric resultCode', { result: { resultStatus: 'S', resultCode: 0 } }],
  ['result with an empty resultCode', { result: { resultStatus: 'S', resultCode: '' } }],
  ['success as a string', { success: 'true', resultCode: 'SUCCESS', resultMessage: '' }],
  ['success as 1', { success: 1, resultCode: 'SUCCESS', resultMessage: '' }],
  ['success without resultCode', { success: true }],
  ['success with a numeric resultCode', { success: true, resultCode: 200 }],
  ['resultCode at top level without success', { resultCode: 'SUCCESS', resultMessage: 'success' }],
]

for (const [what, body] of MALFORMED) {
  test(`a malformed body (${what}) is U`, () => {
    expectUnknown(classifyAnswer({ ...signed200, body }))
  })
}

test('a resultStatus that contradicts the code is U', () => {
  const cases: Array<[unknown, string]> = [
    ['F', 'SUCCESS'],
    ['U', 'SUCCESS'],
    [undefined, 'SUCCESS'],
    ['s', 'SUCCESS'],
    ['S', 'PARAM_ILLEGAL'],
    ['S', 'SYSTEM_ERROR'],
    ['F', 'SYSTEM_ERROR'],
    ['U', 'BIZ_ERROR_NO_RETRY'],
  ]
  for (const [declared, code] of cases) {
    expectUnknown(classifyAnswer({ ...signed200, body: resultBody(declared, code) }), code)
  }
})

test('a success flag that contradicts the code is U', () => {
  expectUnknown(classifyAnswer({ ...signed200, body: flatBody(false, 'SUCCESS') }), 'SUCCESS')
  expectUnknown(classifyAnswer({ ...signed200, body: flatBody(true, 'PARAM_ILLEGAL') }), 'PARAM_ILLEGAL')
  expectUnknown(classifyAnswer({ ...signed200, body: flatBody(true, 'SYSTEM_ERROR') }), 'SYSTEM_ERROR')
  expectUnknown(classifyAnswer({ ...signed200, body: flatBody(true, 'BIZ_ERROR_NEED_RETRY') }), 'BIZ_ERROR_NEED_RETRY')
})

test('REQUEST_TRAFFIC_EXCEED_LIMIT is U and retryable, even where a page calls it F', () => {
  expectUnknown(classifyAnswer({ ...signed200, body: resultBody('U', 'REQUEST_TRAFFIC_EXCEED_LIMIT') }), 'REQUEST_TRAFFIC_EXCEED_LIMIT')
  expectUnknown(classifyAnswer({ ...signed200, body: resultBody('F', 'REQUEST_TRAFFIC_EXCEED_LIMIT') }), 'REQUEST_TRAFFIC_EXCEED_LIMIT')
  expectUnknown(classifyAnswer({ ...signed200, body: flatBody(false, 'REQUEST_TRAFFIC_EXCEED_LIMIT') }), 'REQUEST_TRAFFIC_EXCEED_LIMIT')
})

test('a missing resultMessage is an empty message, not a failure', () => {
  assert.equal(classifyAnswer({ ...signed200, body: { result: { resultStatus: 'S', resultCode: 'SUCCESS' } } }), {
    status: 'S',
    code: 'SUCCESS',
    message: '',
    retryable: false,
  })
  assert.is(classifyAnswer({ ...signed200, body: { success: true, resultCode: 'SUCCESS' } }).status, 'S')
})

test('extra fields (benefitDetails, syncStatus) do not change the outcome', () => {
  const issue = { success: true, resultCode: 'SUCCESS', resultMessage: 'success', benefitDetails: [] }
  assert.is(classifyAnswer({ ...signed200, body: issue }).status, 'S')
  const inquiry = { ...resultBody('S', 'SUCCESS'), syncStatus: 'FAIL', syncFailCode: 'AUDIT_FAIL' }
  assert.is(classifyAnswer({ ...signed200, body: inquiry }).status, 'S')
})

test.run()
