import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  buildSignContent,
  generateRsaKeyPair,
  KeyFormatError,
  loadPrivateKey,
  loadPublicKey,
  signContent,
  verifyContent,
} from '@benefitkit/shared/signing'

const vectors = JSON.parse(readFileSync(new URL('./fixtures/signature-vectors.json', import.meta.url), 'utf8'))
const pkcs8 = vectors.keys.privateKeyPkcs8Base64 as string
const spki = vectors.keys.publicKeySpkiBase64 as string
const expected = vectors.sign[0]

const keyObject = createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' })
const publicObject = keyObject // createPublicKey accepts the private key
const formats = {
  'bare base64 PKCS#8': pkcs8,
  'bare base64 PKCS#1': keyObject.export({ format: 'der', type: 'pkcs1' }).toString('base64'),
  'PEM PKCS#8': keyObject.export({ format: 'pem', type: 'pkcs8' }).toString(),
  'PEM PKCS#1': keyObject.export({ format: 'pem', type: 'pkcs1' }).toString(),
  'base64 wrapped over lines': pkcs8.replace(/(.{64})/g, '$1\n'),
}

for (const [name, text] of Object.entries(formats)) {
  test(`loads a private key as ${name} and signs like the vector`, () => {
    assert.is(signContent(buildSignContent(expected), loadPrivateKey(text)), expected.signature)
  })
}

test('loads public keys as bare SPKI, PKCS#1 and PEM', async () => {
  const { createPublicKey } = await import('node:crypto')
  const pub = createPublicKey(publicObject)
  const texts = [
    spki,
    pub.export({ format: 'der', type: 'pkcs1' }).toString('base64'),
    pub.export({ format: 'pem', type: 'spki' }).toString(),
    pub.export({ format: 'pem', type: 'pkcs1' }).toString(),
  ]
  for (const text of texts) {
    assert.ok(verifyContent(buildSignContent(expected), expected.signature, loadPublicKey(text)))
  }
})

test('a clear error names the expected formats', () => {
  for (const bad of ['', 'hello world', 'QUJD', '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----']) {
    const error = (() => {
      try {
        loadPrivateKey(bad)
      } catch (e) {
        return e
      }
    })()
    assert.instance(error, KeyFormatError)
    assert.match((error as Error).message, /PKCS#8/)
  }
  assert.throws(() => loadPublicKey(pkcs8), /SubjectPublicKeyInfo/)
  assert.throws(() => loadPublicKey(formats['PEM PKCS#8']), /private key/)
})

test('non-RSA keys are refused', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const text = ec.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')
  assert.throws(() => loadPrivateKey(text), /got a ec key/)
})

test('generated pairs round-trip in both formats', () => {
  const pair = generateRsaKeyPair()
  const content = Buffer.from('POST /x\nc.t.{}')
  const sig = signContent(content, loadPrivateKey(pair.privateKeyBase64))
  assert.ok(verifyContent(content, sig, loadPublicKey(pair.publicKeyBase64)))
  assert.ok(verifyContent(content, sig, loadPublicKey(pair.publicKeyPem)))
  assert.is(loadPrivateKey(pair.privateKeyPem).publicKey().toBase64(), pair.publicKeyBase64)
  assert.not.ok(verifyContent(Buffer.from('POST /x\nc.t.{ }'), sig, loadPublicKey(pair.publicKeyBase64)))
})

test.run()
