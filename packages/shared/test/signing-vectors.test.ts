import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  buildSignContent,
  loadPrivateKey,
  loadPublicKey,
  signContent,
  verifyContent,
  type SigningEngine,
} from '@benefitkit/shared/signing'

/** Made by an independent implementation of the scheme (the vendor's Java SDK). */
const vectors = JSON.parse(readFileSync(new URL('./fixtures/signature-vectors.json', import.meta.url), 'utf8')) as {
  keys: { privateKeyPkcs8Base64: string; publicKeySpkiBase64: string }
  sign: Array<{ name: string; method: string; path: string; clientId: string; time: string; body: string; signature: string }>
  verify: Array<{ name: string; method: string; path: string; clientId: string; time: string; body: string; signature: string; publicKey: string; expectValid: boolean }>
}

test('the vector file has vectors to check', () => {
  assert.ok(vectors.sign.length >= 8)
  assert.ok(vectors.verify.length >= 12)
  assert.ok(vectors.verify.some((v) => v.expectValid === false))
})

for (const engine of ['node-crypto', 'node-rsa'] as SigningEngine[]) {
  const privateKey = loadPrivateKey(vectors.keys.privateKeyPkcs8Base64, { engine })
  const publicKey = loadPublicKey(vectors.keys.publicKeySpkiBase64, { engine })

  for (const v of vectors.sign) {
    test(`[${engine}] reproduces "${v.name}" byte for byte`, () => {
      const content = buildSignContent(v)
      assert.is(signContent(content, privateKey), v.signature)
      assert.ok(verifyContent(content, v.signature, publicKey))
      // Raw (not URL-encoded) base64 verifies too.
      assert.ok(verifyContent(content, decodeURIComponent(v.signature), publicKey))
    })
  }

  for (const [i, v] of vectors.verify.entries()) {
    test(`[${engine}] verify #${i} "${v.name}" → ${v.expectValid ? 'valid' : 'rejected'}`, () => {
      const key = loadPublicKey(v.publicKey, { engine })
      assert.is(verifyContent(buildSignContent(v), v.signature, key), v.expectValid)
    })
  }
}

test('a signature over a body given as bytes equals one over the same string', () => {
  const v = vectors.sign[2]!
  const key = loadPrivateKey(vectors.keys.privateKeyPkcs8Base64)
  const fromBytes = signContent(buildSignContent({ ...v, body: Buffer.from(v.body, 'utf8') }), key)
  assert.is(fromBytes, v.signature)
})

test('garbage signatures are rejected, not thrown', () => {
  const v = vectors.sign[0]!
  const key = loadPublicKey(vectors.keys.publicKeySpkiBase64)
  const content = buildSignContent(v)
  for (const bad of ['', '%', '%E0%A4%A', 'not base64!', 'AAAA', v.signature.slice(0, -6)]) {
    assert.is(verifyContent(content, bad, key), false, JSON.stringify(bad))
  }
})

test.run()
