import * as assert from 'uvu/assert'
import { classifyAnswer, type KnownResultCode } from '@benefitkit/shared'
import type { IsvAnswer } from './platform-caller.js'

/**
 * The checks every answer of the platform-facing API must pass: HTTP 200, a
 * valid signature by the ISV key over the exact bytes, Response-Time, the flat
 * shape with the expected resultCode, and a status the shared classifier agrees with.
 */
export function expectAnswer(answer: IsvAnswer, code: KnownResultCode, messagePattern?: RegExp): void {
  assert.is(answer.status, 200, `HTTP status of ${answer.raw}`)
  assert.ok(answer.signed, `answer is signed: ${answer.raw}`)
  assert.ok(answer.headers['response-time'], 'Response-Time header')
  assert.ok(answer.json && typeof answer.json === 'object', `JSON body: ${answer.raw}`)
  assert.is(answer.json.resultCode, code, `resultCode in ${answer.raw}`)
  assert.is(answer.json.success, code === 'SUCCESS', `success flag in ${answer.raw}`)
  assert.type(answer.json.resultMessage, 'string')
  assert.ok(answer.json.resultMessage.length <= 256, 'resultMessage ≤ 256 chars')
  const outcome = classifyAnswer({ httpStatus: answer.status, signatureValid: answer.signed, body: answer.json })
  assert.is(outcome.code, code)
  if (messagePattern) assert.match(answer.json.resultMessage, messagePattern)
}
