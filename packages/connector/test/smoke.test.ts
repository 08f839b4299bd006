import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestConnector } from './support/connector.js'

test('the connector starts on loopback, answers /healthz and /readyz, and stops', async () => {
  const t = await startTestConnector()
  try {
    assert.match(t.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const health = await fetch(`${t.url}/healthz`)
    assert.is(health.status, 200)
    const ready = await fetch(`${t.url}/readyz`)
    assert.is(ready.status, 200)
    assert.equal(((await ready.json()) as { checks: unknown }).checks, { database: 'ok', migrations: 'ok' })
  } finally {
    await t.stop()
  }
})

test.run()
