import { generateRsaKeyPair, loadPrivateKey, loadPublicKey, PublicKeyring, type SigningKey } from '@benefitkit/shared/signing'

export const CLIENT_ID = 'isv-test-client'

/** RSA keygen is slow: call once per test file. */
export function testKeys() {
  const platform = generateRsaKeyPair()
  const isv = generateRsaKeyPair()
  const isvSigning: SigningKey = { keyVersion: '1', privateKey: loadPrivateKey(isv.privateKeyBase64) }
  const platformKeyring = new PublicKeyring({ '1': loadPublicKey(platform.publicKeyBase64) })
  return { platform, isv, isvSigning, platformKeyring }
}
export type TestKeys = ReturnType<typeof testKeys>
