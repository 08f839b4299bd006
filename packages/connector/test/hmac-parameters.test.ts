import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseHmacParameters } from '../src/redemption/auth/hmac.js'

const SIG = 'a'.repeat(43)
const VALID = `key=abc123,ts=1700000000000,nonce=nonce-0123456789ab,sig=${SIG}`

function refusal(text: string): string {
  try {
    parseHmacParameters(text)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error(`accepted: ${text}`)
}

test('parseHmacParameters: the four parameters, in any order', () => {
  assert.equal(parseHmacParameters(VALID), { keyId: 'abc123', tsText: '1700000000000', ts: 1_700_000_000_000, nonce: 'nonce-0123456789ab', sig: SIG })
  assert.is(parseHmacParameters(`sig=${SIG}, nonce=nonce-0123456789ab, ts=1700000000000, key=abc123`).keyId, 'abc123')
})

test('parseHmacParameters: a real repeat is refused; names like toString or __proto__ are just unknown names', () => {
  assert.match(refusal(`${VALID},key=other`), /parameter key appears twice/)
  for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
    assert.is(parseHmacParameters(`${name}=x,${VALID}`).keyId, 'abc123', name)
  }
})

test.run()
