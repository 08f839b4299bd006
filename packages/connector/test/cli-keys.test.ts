import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadPrivateKey, loadPublicKey, signContent, verifyContent } from '@benefitkit/shared/signing'
import { loadConfig } from '@benefitkit/connector'
import { testKeys } from './support/keys.js'
import { runCli } from './support/ops-cli.js'

const tmp = () => mkdtempSync(join(tmpdir(), 'benefitkit-keys-'))

test('keys rotate writes the keyVersion N+1 pair next to the current key and prints the switch-over steps', async () => {
  const dir = tmp()
  try {
    const current = join(dir, 'isv-private.b64')
    writeFileSync(current, testKeys().isv.privateKeyBase64)
    const run = await runCli(['keys', 'rotate'], { env: { BENEFITKIT_KEY_VERSION: '3', BENEFITKIT_PRIVATE_KEY_FILE: current, BENEFITKIT_CLIENT_ID: 'CLIENT_42' } })
    assert.is(run.code, 0, run.stderr)
    const privateFile = join(dir, 'isv-v4-private.b64')
    const publicFile = join(dir, 'isv-v4-public.b64')
    assert.match(run.stdout, /New ISV key pair, keyVersion 4 \(current: 3\)/)
    assert.match(run.stdout, new RegExp(`1\\. Upload ${publicFile.replaceAll('.', '\\.')} to the platform as keyVersion 4 for Client-Id CLIENT_42`))
    assert.match(run.stdout, /Keep keyVersion 3 registered/)
    assert.match(run.stdout, new RegExp(`BENEFITKIT_PRIVATE_KEY_FILE=${privateFile.replaceAll('.', '\\.')} and BENEFITKIT_KEY_VERSION=4`))
    assert.match(run.stdout, /retire keyVersion 3/)
    assert.is(statSync(privateFile).mode & 0o777, 0o600)
    assert.ok(existsSync(join(dir, 'isv-v4-private.pem')) && existsSync(join(dir, 'isv-v4-public.pem')))
    // The files are a working pair in the platform's exchange format.
    const content = Buffer.from('GET /x\nC.T.{}')
    const privateKey = loadPrivateKey(readFileSync(privateFile, 'utf8'))
    assert.ok(verifyContent(content, signContent(content, privateKey), loadPublicKey(readFileSync(publicFile, 'utf8'))))
    assert.not.ok(run.stdout.includes(readFileSync(privateFile, 'utf8').trim().slice(0, 40)), 'the private key is never printed')

    // The printed switch is a configuration the connector accepts.
    const config = loadConfig({
      env: {
        BENEFITKIT_CLIENT_ID: 'CLIENT_42',
        BENEFITKIT_PRIVATE_KEY_FILE: privateFile,
        BENEFITKIT_KEY_VERSION: '4',
        BENEFITKIT_PLATFORM_URL: 'http://127.0.0.1:9',
        BENEFITKIT_PLATFORM_PUBLIC_KEY: testKeys().platform.publicKeyBase64,
      },
    })
    assert.is(config.keyVersion, '4')

    const again = await runCli(['keys', 'rotate'], { env: { BENEFITKIT_KEY_VERSION: '3', BENEFITKIT_PRIVATE_KEY_FILE: current } })
    assert.is(again.code, 1)
    assert.match(again.stderr, /refusing to overwrite .*isv-v4-private\.b64.*--force/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('keys rotate --json for scripts; --out and --version; usage errors exit 2 and say what to type', async () => {
  const dir = tmp()
  try {
    const json = await runCli(['keys', 'rotate', '--json', '--out', dir])
    assert.is(json.code, 0, json.stderr)
    const report = JSON.parse(json.stdout) as { keyVersion: string; previousKeyVersion: string; files: Record<string, string>; env: Record<string, string>; steps: string[] }
    assert.is(report.previousKeyVersion, '1')
    assert.is(report.keyVersion, '2')
    assert.is(report.env.BENEFITKIT_KEY_VERSION, '2')
    assert.is(report.files.publicKey, join(dir, 'isv-v2-public.b64'))
    assert.is(report.steps.length, 4)

    const named = await runCli(['keys', 'rotate', '--out', dir, '--version', 'k2026'], { env: { BENEFITKIT_KEY_VERSION: 'k2025' } })
    assert.is(named.code, 0, named.stderr)
    assert.ok(existsSync(join(dir, 'isv-vk2026-private.b64')))

    const notNumeric = await runCli(['keys', 'rotate', '--out', dir], { env: { BENEFITKIT_KEY_VERSION: 'k2025' } })
    assert.is(notNumeric.code, 2)
    assert.match(notNumeric.stderr, /benefitkit keys rotate --version/)

    const same = await runCli(['keys', 'rotate', '--out', dir, '--version', '1'])
    assert.is(same.code, 2)
    const bad = await runCli(['keys', 'rotate', '--out', dir, '--version', 'has space'])
    assert.is(bad.code, 2)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("keys rotate --platform-key checks the platform's next key and prints the NEXT variables; bad input fails", async () => {
  const dir = tmp()
  try {
    const next = join(dir, 'platform-v2.pem')
    writeFileSync(next, testKeys().isv.publicKeyPem)
    const run = await runCli(['keys', 'rotate', '--platform-key', next, '--platform-version', '2'])
    assert.is(run.code, 0, run.stderr)
    assert.match(run.stdout, /is valid: RSA 2048 bits, keyVersion 2/)
    assert.match(run.stdout, /SHA-256 fingerprint ([0-9a-f]{2}:){31}[0-9a-f]{2}/)
    assert.match(run.stdout, new RegExp(`BENEFITKIT_PLATFORM_NEXT_PUBLIC_KEY_FILE=${next.replaceAll('.', '\\.')}`))
    assert.match(run.stdout, /BENEFITKIT_PLATFORM_NEXT_KEY_VERSION=2/)
    assert.match(run.stdout, /BENEFITKIT_PLATFORM_KEY_VERSION=2/)

    // What it prints is a configuration the connector accepts, with both keys valid.
    const config = loadConfig({
      env: {
        BENEFITKIT_CLIENT_ID: 'C',
        BENEFITKIT_PRIVATE_KEY: testKeys().isv.privateKeyBase64,
        BENEFITKIT_PLATFORM_URL: 'http://127.0.0.1:9',
        BENEFITKIT_PLATFORM_PUBLIC_KEY: testKeys().platform.publicKeyBase64,
        BENEFITKIT_PLATFORM_NEXT_PUBLIC_KEY_FILE: next,
        BENEFITKIT_PLATFORM_NEXT_KEY_VERSION: '2',
      },
    })
    assert.equal(Object.keys(config.platformPublicKeys).sort(), ['1', '2'])

    const json = await runCli(['keys', 'rotate', '--platform-key', next, '--platform-version', '2', '--json'])
    assert.is(JSON.parse(json.stdout).bits, 2048)

    const current = await runCli(['keys', 'rotate', '--platform-key', next, '--platform-version', '1'])
    assert.is(current.code, 1)
    assert.match(current.stderr, /keyVersion 1 is the platform key in use now/)

    const garbage = join(dir, 'garbage.pem')
    writeFileSync(garbage, 'hello')
    const notAKey = await runCli(['keys', 'rotate', '--platform-key', garbage, '--platform-version', '2'])
    assert.is(notAKey.code, 1)
    assert.match(notAKey.stderr, /is not the platform's public key/)

    const missing = await runCli(['keys', 'rotate', '--platform-key', join(dir, 'nope.pem'), '--platform-version', '2'])
    assert.is(missing.code, 1)
    assert.match(missing.stderr, /cannot read .*ENOENT/)

    const half = await runCli(['keys', 'rotate', '--platform-key', next])
    assert.is(half.code, 2)
    assert.match(half.stderr, /--platform-key FILE --platform-version V/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
