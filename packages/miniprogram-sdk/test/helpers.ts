/** Small assertions shared by the SDK's tests. */
import * as assert from 'uvu/assert'
import { isBenefitKitError, type BenefitKitError } from '../src/index.js'

/** The BenefitKitError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<BenefitKitError> {
  let value: unknown
  try {
    value = await promise
  } catch (error) {
    assert.ok(isBenefitKitError(error), `expected a BenefitKitError, got ${String(error)}`)
    return error
  }
  throw new Error(`expected the call to reject, it resolved with ${JSON.stringify(value)}`)
}
