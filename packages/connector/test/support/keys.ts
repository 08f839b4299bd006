import { generateRsaKeyPair, loadPrivateKey, loadPublicKey, PublicKeyring, type GeneratedKeyPair, type SigningKey } from '@benefitkit/shared/signing'

/**
 * Key pairs for tests, generated once per process (RSA keygen takes ~100 ms):
 * the ISV's (the connector signs with it) and the platform's (the platform, or
 * a test posing as it, signs with it).
 */
let cached: TestKeys | undefined

export interface TestKeys {
  isv: GeneratedKeyPair
  platform: GeneratedKeyPair
  /** The platform's signing key, as a test posing as the platform uses it. */
  platformSigning: SigningKey
  /** Verifies what the connector signs. */
  isvKeyring: PublicKeyring
}

export function testKeys(): TestKeys {
  if (!cached) {
    const isv = generateRsaKeyPair()
    const platform = generateRsaKeyPair()
    cached = {
      isv,
      platform,
      platformSigning: { keyVersion: '1', privateKey: loadPrivateKey(platform.privateKeyBase64) },
      isvKeyring: new PublicKeyring([['1', loadPublicKey(isv.publicKeyBase64)]]),
    }
  }
  return cached
}
