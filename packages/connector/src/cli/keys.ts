import { createHash, createPublicKey } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { defineCommand } from 'citty'
import { generateRsaKeyPair, loadPublicKey } from '@benefitkit/shared/signing'
import { CliFailure, configArgs, EXIT_USAGE, output } from './common.js'

/**
 * `benefitkit keys rotate`: the two rotations an ISV does.
 *
 * - Ours: a new key pair with the next keyVersion, written next to the current
 *   one. The platform must know the new public key before we sign with it, so
 *   the command only prints the switch; nothing changes until the operator
 *   sets BENEFITKIT_PRIVATE_KEY_FILE / BENEFITKIT_KEY_VERSION and restarts.
 * - The platform's (`--platform-key FILE --platform-version V`): checks the
 *   key and prints the variables that make it valid next to the current one
 *   (BENEFITKIT_PLATFORM_NEXT_PUBLIC_KEY_FILE / _NEXT_KEY_VERSION).
 */

const KEY_VERSION = /^[A-Za-z0-9._-]{1,16}$/

const rotate = defineCommand({
  meta: {
    name: 'rotate',
    description:
      'Make the next ISV key pair (keyVersion N+1) and print the switch-over steps; with --platform-key, check the platform\'s next public key',
  },
  args: {
    ...configArgs,
    out: { type: 'string', description: 'folder for the new key files (default: next to BENEFITKIT_PRIVATE_KEY_FILE, else ./keys)', valueHint: 'DIR' },
    version: { type: 'string', description: 'keyVersion of the new pair (default: current + 1)', valueHint: 'N' },
    force: { type: 'boolean', description: 'overwrite existing key files', default: false },
    'platform-key': { type: 'string', description: "the platform's next public key (base64 or PEM)", valueHint: 'FILE' },
    'platform-version': { type: 'string', description: 'the keyVersion the platform gave that key', valueHint: 'V' },
  },
  run({ args }) {
    const settings = currentSettings(args.config)
    if (args['platform-key'] !== undefined || args['platform-version'] !== undefined) {
      return rotatePlatformKey(settings, args['platform-key'], args['platform-version'], args.json)
    }
    return rotateOwnKey(settings, args)
  },
})

export default defineCommand({
  meta: { name: 'keys', description: 'Key rotation for the ISV key pair and the platform public key' },
  subCommands: { rotate },
})

interface Settings {
  keyVersion: string
  clientId: string | undefined
  privateKeyFile: string | undefined
  platformKeyVersion: string
  platformNextKeyVersion: string | undefined
}

/**
 * What the running connector uses, read leniently (environment over --config
 * file): rotation must work even when the rest of the configuration would not
 * start a daemon here.
 */
function currentSettings(configFile: string | undefined): Settings {
  let file: Record<string, unknown> = {}
  if (configFile) {
    try {
      file = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>
    } catch (error) {
      throw new CliFailure(`--config ${configFile}: ${(error as Error).message}`)
    }
  }
  const env = (name: string) => process.env[`BENEFITKIT_${name}`] || undefined
  const str = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined)
  return {
    keyVersion: env('KEY_VERSION') ?? str(file.keyVersion) ?? '1',
    clientId: env('CLIENT_ID') ?? str(file.clientId),
    privateKeyFile: env('PRIVATE_KEY_FILE') ?? str(file.privateKeyFile),
    platformKeyVersion: env('PLATFORM_KEY_VERSION') ?? str(file.platformKeyVersion) ?? '1',
    platformNextKeyVersion: env('PLATFORM_NEXT_KEY_VERSION'),
  }
}

function rotateOwnKey(settings: Settings, args: { out?: string | undefined; version?: string | undefined; force: boolean; json: boolean }): void {
  const current = settings.keyVersion
  let next = args.version
  if (next === undefined) {
    if (!/^\d+$/.test(current)) {
      throw new CliFailure(`the current keyVersion "${current}" is not a number: say which comes next, e.g. benefitkit keys rotate --version ${current}-2`, EXIT_USAGE)
    }
    next = String(Number(current) + 1)
  }
  if (!KEY_VERSION.test(next)) throw new CliFailure(`--version must be 1 to 16 characters of A-Z a-z 0-9 . _ -, got "${next}"`, EXIT_USAGE)
  if (next === current) throw new CliFailure(`keyVersion ${next} is the one in use: give a new --version`, EXIT_USAGE)

  const dir = resolve(args.out ?? (settings.privateKeyFile ? dirname(settings.privateKeyFile) : 'keys'))
  const base = `isv-v${next}`
  const files = {
    privateKey: join(dir, `${base}-private.b64`),
    privateKeyPem: join(dir, `${base}-private.pem`),
    publicKey: join(dir, `${base}-public.b64`),
    publicKeyPem: join(dir, `${base}-public.pem`),
  }
  const existing = Object.values(files).filter((f) => existsSync(f))
  if (existing.length && !args.force) throw new CliFailure(`refusing to overwrite ${existing.join(', ')} (add --force, or --version for another keyVersion)`)

  const pair = generateRsaKeyPair()
  mkdirSync(dir, { recursive: true })
  writeFileSync(files.privateKey, `${pair.privateKeyBase64}\n`, { mode: 0o600 })
  writeFileSync(files.privateKeyPem, pair.privateKeyPem, { mode: 0o600 })
  writeFileSync(files.publicKey, `${pair.publicKeyBase64}\n`)
  writeFileSync(files.publicKeyPem, pair.publicKeyPem)

  const clientId = settings.clientId ?? '<your Client-Id>'
  const env = { BENEFITKIT_PRIVATE_KEY_FILE: files.privateKey, BENEFITKIT_KEY_VERSION: next }
  const steps = [
    `Upload ${files.publicKey} to the platform as keyVersion ${next} for Client-Id ${clientId}. Keep keyVersion ${current} registered: the connector signs with it until you switch.`,
    `When the platform shows keyVersion ${next} active, set ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' and ')}, then restart the connector (SIGTERM lets in-flight work finish).`,
    `Check: benefitkit_connector_info{key_version="${next}"} on /metrics, and outbox deliveries still succeed (benefitkit outbox list --status dead stays empty).`,
    `Then retire keyVersion ${current} at the platform and delete its private key file.`,
  ]
  output(args.json, { keyVersion: next, previousKeyVersion: current, files, publicKey: pair.publicKeyBase64, env, steps }, () =>
    [
      `New ISV key pair, keyVersion ${next} (current: ${current}):`,
      `  private: ${files.privateKey} and .pem (mode 600; keep it secret)`,
      `  public:  ${files.publicKey} and .pem`,
      '',
      'Next:',
      ...steps.map((s, i) => `  ${i + 1}. ${s}`),
    ].join('\n'),
  )
}

function rotatePlatformKey(settings: Settings, keyFile: string | undefined, version: string | undefined, json: boolean): void {
  if (!keyFile || !version) {
    throw new CliFailure('give both: benefitkit keys rotate --platform-key FILE --platform-version V', EXIT_USAGE)
  }
  if (!KEY_VERSION.test(version)) throw new CliFailure(`--platform-version must be 1 to 16 characters of A-Z a-z 0-9 . _ -, got "${version}"`, EXIT_USAGE)
  const path = resolve(keyFile)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new CliFailure(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  let der: Buffer
  try {
    der = Buffer.from(loadPublicKey(text).toBase64(), 'base64')
  } catch (error) {
    throw new CliFailure(`${path} is not the platform's public key: ${(error as Error).message}`)
  }
  if (version === settings.platformKeyVersion) {
    throw new CliFailure(
      `keyVersion ${version} is the platform key in use now (BENEFITKIT_PLATFORM_KEY_VERSION): the next key has another keyVersion; ask the platform which`,
    )
  }
  const bits = createPublicKey({ key: der, format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength
  const fingerprint = createHash('sha256').update(der).digest('hex').replace(/(..)(?!$)/g, '$1:')
  const during = { BENEFITKIT_PLATFORM_NEXT_PUBLIC_KEY_FILE: path, BENEFITKIT_PLATFORM_NEXT_KEY_VERSION: version }
  const after = { BENEFITKIT_PLATFORM_PUBLIC_KEY_FILE: path, BENEFITKIT_PLATFORM_KEY_VERSION: version }
  const warnings = bits !== undefined && bits < 2048 ? [`the key has ${bits} bits; the protocol uses RSA-2048`] : []
  output(json, { keyVersion: version, currentKeyVersion: settings.platformKeyVersion, file: path, bits, fingerprint, warnings, during, after }, () =>
    [
      `The platform's public key ${path} is valid: RSA ${bits ?? '?'} bits, keyVersion ${version}.`,
      `  SHA-256 fingerprint ${fingerprint}`,
      ...warnings.map((w) => `  warning: ${w}`),
      '',
      `1. Now: accept it next to keyVersion ${settings.platformKeyVersion} — add these and restart the connector:`,
      ...Object.entries(during).map(([k, v]) => `     ${k}=${v}`),
      `   Calls and answers signed with either key verify from then on.`,
      `2. When the platform has switched to keyVersion ${version} for good, make it the only one:`,
      ...Object.entries(after).map(([k, v]) => `     ${k}=${v}`),
      '   remove the two _NEXT_ variables, and restart.',
    ].join('\n'),
  )
}
