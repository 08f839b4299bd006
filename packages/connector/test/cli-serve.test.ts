import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { testKeys } from './support/keys.js'
import { runCli } from './support/ops-cli.js'

const tmp = () => mkdtempSync(join(tmpdir(), 'benefitkit-cli-'))

test('serve with a bad configuration exits 1 and lists every problem, naming the variables', async () => {
  const dir = tmp()
  try {
    const run = await runCli(['serve'], {
      env: { BENEFITKIT_DB: join(dir, 'x.db'), BENEFITKIT_PORT: 'eighty', BENEFITKIT_LOG_LEVEL: 'loud', BENEFITKIT_ADMIN_TOKEN: 'short' },
    })
    assert.is(run.code, 1, run.stderr)
    for (const expected of [/BENEFITKIT_CLIENT_ID/, /BENEFITKIT_PRIVATE_KEY/, /BENEFITKIT_PLATFORM_URL/, /BENEFITKIT_PLATFORM_PUBLIC_KEY/, /port/, /logLevel/, /BENEFITKIT_ADMIN_TOKEN/]) {
      assert.match(run.stderr, expected)
    }
    assert.is(run.stdout, '')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('serve with keys that do not parse exits 1 naming each key, before opening anything', async () => {
  const dir = tmp()
  try {
    const run = await runCli(['serve'], {
      env: {
        BENEFITKIT_DB: join(dir, 'x.db'),
        BENEFITKIT_CLIENT_ID: 'C1',
        BENEFITKIT_PRIVATE_KEY: 'bm90IGEga2V5',
        BENEFITKIT_PLATFORM_URL: 'http://127.0.0.1:9',
        BENEFITKIT_PLATFORM_PUBLIC_KEY: testKeys().platform.publicKeyBase64,
        BENEFITKIT_PLATFORM_NEXT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----',
        BENEFITKIT_PLATFORM_NEXT_KEY_VERSION: '2',
      },
    })
    assert.is(run.code, 1, run.stderr)
    assert.match(run.stderr, /BENEFITKIT_PRIVATE_KEY: /)
    assert.match(run.stderr, /keyVersion 2/)
    assert.not.match(run.stderr, /keyVersion 1\)/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('serve on a port in use exits 1 and says which variable to change', async () => {
  const dir = tmp()
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const port = (blocker.address() as { port: number }).port
  try {
    const keys = testKeys()
    const run = await runCli(['serve'], {
      env: {
        BENEFITKIT_DB: join(dir, 'x.db'),
        BENEFITKIT_PORT: String(port),
        BENEFITKIT_CLIENT_ID: 'C1',
        BENEFITKIT_PRIVATE_KEY: keys.isv.privateKeyBase64,
        BENEFITKIT_PLATFORM_URL: 'http://127.0.0.1:9',
        BENEFITKIT_PLATFORM_PUBLIC_KEY: keys.platform.publicKeyBase64,
        BENEFITKIT_LOG_LEVEL: 'silent',
      },
    })
    assert.is(run.code, 1, run.stderr)
    assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is in use.*BENEFITKIT_PORT`))
  } finally {
    blocker.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('usage errors exit 2 and show what to type: no command, an unknown flag value, a missing argument', async () => {
  const none = await runCli([])
  assert.is(none.code, 2)
  assert.match(none.stdout + none.stderr, /backup/)
  assert.match(none.stdout + none.stderr, /keys/)

  const missing = await runCli(['backup'])
  assert.is(missing.code, 2)
  assert.match(missing.stdout + missing.stderr, /FILE/)

  const keys = await runCli(['keys'])
  assert.is(keys.code, 2)
  assert.match(keys.stdout + keys.stderr, /rotate/)

  const help = await runCli(['backup', '--help'])
  assert.is(help.code, 0)
  assert.match(help.stdout, /--force/)
})

test('a config file that is not JSON is a failure (exit 1) that names the file', async () => {
  const dir = tmp()
  try {
    const file = join(dir, 'config.json')
    writeFileSync(file, '{ not json')
    const run = await runCli(['serve', '--config', file])
    assert.is(run.code, 1)
    assert.match(run.stderr, /config\.json/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
