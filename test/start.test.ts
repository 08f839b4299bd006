/**
 * `pnpm start` as people run it, as a child process (`node …` directly: pnpm
 * does not forward signals): it comes up on loopback, answers its health
 * endpoints, syncs the demo template, stops on SIGINT / SIGTERM with exit 0, and
 * a second run on the same data folder reuses the keys, the template and the
 * API key. With BENEFITKIT_PLATFORM_URL set it runs the connector alone.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { exitOf, runTs, testDevKeys, type Child } from './support/e2e.js'

const test = suite('pnpm start (scripts/start.ts) as a child process')

interface Ready {
  type: 'ready'
  connectorUrl: string
  healthz: string
  readyz: string
  sandboxUrl: string
  sandboxControlApi: string
  template: { id: string; state: string }
  apiKey: { id: string; file: string; created: boolean; secret?: string }
}

function events(child: Child): Array<Record<string, unknown>> {
  return child.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
}

async function startInto(dataDir: string): Promise<{ child: Child; ready: Ready }> {
  // Free ports, so a developer's own `pnpm start` on 8600/8700 does not matter.
  const child = runTs('scripts/start.ts', ['--data-dir', dataDir, '--port', '0', '--sandbox-port', '0', '--review-delay', '50', '--json'])
  try {
    const line = await child.waitForLine((l) => l.startsWith('{"type":"ready"'), 45_000)
    return { child, ready: JSON.parse(line) as Ready }
  } catch (error) {
    child.kill()
    throw error
  }
}

test('comes up, answers /healthz and /readyz, syncs the demo template, stops on SIGINT with exit 0; a restart reuses everything', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'benefitkit-start-'))
  let child: Child | undefined
  try {
    const first = await startInto(dataDir)
    child = first.child
    const { ready } = first
    assert.is(ready.template.id, 'demo-hkd-10-off')
    assert.is(ready.template.state, 'SYNCED')
    assert.match(ready.connectorUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
    const health = await fetch(ready.healthz)
    assert.is(health.status, 200)
    assert.is(((await health.json()) as { status: string }).status, 'ok')
    const readiness = await fetch(ready.readyz)
    assert.is(readiness.status, 200)
    const sandbox = (await (await fetch(`${ready.sandboxControlApi}/health`)).json()) as { ok: boolean; isvBaseUrl: string }
    assert.is(sandbox.ok, true)
    assert.is(sandbox.isvBaseUrl, ready.connectorUrl)

    // Created once, printed once, kept private.
    assert.is(ready.apiKey.created, true)
    assert.match(ready.apiKey.secret ?? '', /^bk_[A-Za-z0-9]+_[A-Za-z0-9_-]{43}$/)
    assert.is(statSync(join(dataDir, 'dev-keys.json')).mode & 0o777, 0o600)
    assert.is(statSync(join(dataDir, 'demo-api-key.json')).mode & 0o777, 0o600)
    const keysBefore = readFileSync(join(dataDir, 'dev-keys.json'), 'utf8')
    assert.ok(statSync(join(dataDir, 'benefitkit.db')).size > 0)
    assert.ok(events(child).some((e) => e.type === 'keys' && e.created === true))

    // The demo template is collectable right away (released in the sandbox).
    const collect = await fetch(`${ready.sandboxControlApi}/collect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'start-user', templateId: ready.template.id }),
    })
    assert.is(((await collect.json()) as { outcome: string }).outcome, 'ISSUED')

    child.process.kill('SIGINT')
    assert.is(await exitOf(child, 20_000), 0, child.stderr())
    assert.ok(events(child).some((e) => e.type === 'stopped' && e.ok === true))

    // Second run, same folder: same keys, the template is not created again, the key is not shown again.
    const second = await startInto(dataDir)
    child = second.child
    assert.is(second.ready.template.state, 'SYNCED')
    assert.is(second.ready.apiKey.id, ready.apiKey.id)
    assert.is(second.ready.apiKey.created, false)
    assert.is(second.ready.apiKey.secret, undefined)
    assert.is(readFileSync(join(dataDir, 'dev-keys.json'), 'utf8'), keysBefore)
    const templates = events(child).filter((e) => e.type === 'template')
    assert.ok(templates.some((e) => e.created === false), JSON.stringify(templates))
    assert.not.ok(templates.some((e) => e.created === true))
    // The fresh sandbox was told about the template again, so collecting works after a restart too.
    const again = await fetch(`${second.ready.sandboxControlApi}/collect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'start-user', templateId: ready.template.id }),
    })
    assert.is(((await again.json()) as { outcome: string }).outcome, 'ISSUED')

    child.process.kill('SIGTERM')
    assert.is(await exitOf(child, 20_000), 0, child.stderr())
  } finally {
    child?.kill()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('with BENEFITKIT_PLATFORM_URL set it runs only the connector against that platform', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-start-real-'))
  const keys = testDevKeys()
  const child = runTs('scripts/start.ts', [], {
    BENEFITKIT_PLATFORM_URL: 'http://127.0.0.1:9',
    BENEFITKIT_CLIENT_ID: 'real-client',
    BENEFITKIT_PRIVATE_KEY: keys.isv.privateKey,
    BENEFITKIT_PLATFORM_PUBLIC_KEY: keys.platform.publicKey,
    BENEFITKIT_PORT: '0',
    BENEFITKIT_DB: join(dir, 'real.db'),
    BENEFITKIT_LOG_LEVEL: 'warn',
  })
  try {
    await child.waitForLine(/running the connector only/)
    const line = await child.waitForLine(/^benefitkit connector listening on /)
    const url = /listening on (\S+)/.exec(line)![1]!
    assert.is((await fetch(`${url}/readyz`)).status, 200)
    // No sandbox, no demo setup.
    assert.not.ok(child.lines.some((l) => /sandbox platform|demo template \S+ (created|exists)|benefitkit is running/.test(l)), child.lines.join('\n'))
    child.process.kill('SIGTERM')
    assert.is(await exitOf(child, 20_000), 0, child.stderr())
  } finally {
    child.kill()
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
