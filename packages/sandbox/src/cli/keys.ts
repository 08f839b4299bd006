/**
 * Keys for `serve`: the platform's pair is generated on first run and kept in
 * the data folder (so a connector configured with its public key keeps working
 * across restarts); the ISV's public key comes from a flag, a file, or the
 * data folder.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateRsaKeyPair } from '@benefitkit/shared/signing'

export interface PlatformKeyFiles {
  privateKey: string
  publicKeyBase64: string
  privatePath: string | undefined
  publicPath: string | undefined
  generated: boolean
}

/** A flag value is a file path when such a file exists, otherwise the key text itself. */
export function keyText(value: string): string {
  return existsSync(value) ? readFileSync(value, 'utf8') : value
}

export function platformKeys(dataDir: string, explicitPrivateKey: string | undefined): PlatformKeyFiles {
  if (explicitPrivateKey !== undefined) {
    return { privateKey: keyText(explicitPrivateKey), publicKeyBase64: '', privatePath: undefined, publicPath: undefined, generated: false }
  }
  const privatePath = join(dataDir, 'platform-private.key')
  const publicPath = join(dataDir, 'platform-public.key')
  if (existsSync(privatePath)) {
    const publicKeyBase64 = existsSync(publicPath) ? readFileSync(publicPath, 'utf8').trim() : ''
    return { privateKey: readFileSync(privatePath, 'utf8'), publicKeyBase64, privatePath, publicPath, generated: false }
  }
  mkdirSync(dataDir, { recursive: true })
  const pair = generateRsaKeyPair()
  writeFileSync(privatePath, `${pair.privateKeyBase64}\n`, { mode: 0o600 })
  writeFileSync(publicPath, `${pair.publicKeyBase64}\n`)
  return { privateKey: pair.privateKeyBase64, publicKeyBase64: pair.publicKeyBase64, privatePath, publicPath, generated: true }
}

export function isvPublicKey(dataDir: string, flag: string | undefined): string | undefined {
  if (flag !== undefined && flag !== '') return keyText(flag)
  const path = join(dataDir, 'isv-public.key')
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined
}
