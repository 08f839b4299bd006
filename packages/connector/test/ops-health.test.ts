import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import Koa from 'koa'
import { createHealthRouter } from '../src/http/health.js'
import { startTestConnector } from './support/connector.js'

test('/healthz is alive; /readyz is ready with the database and migrations checked', async () => {
  const t = await startTestConnector()
  try {
    const health = await fetch(`${t.url}/healthz`)
    assert.is(health.status, 200)
    assert.is(((await health.json()) as { status: string }).status, 'ok')
    const ready = await fetch(`${t.url}/readyz`)
    assert.is(ready.status, 200)
    assert.equal(await ready.json(), { status: 'ok', checks: { database: 'ok', migrations: 'ok' } })
  } finally {
    await t.stop()
  }
})

test('/readyz turns 503 when the database is unusable; /healthz stays 200', async () => {
  const t = await startTestConnector()
  try {
    await t.connector.worker.stop()
    t.connector.context.sqlite.close()
    const ready = await fetch(`${t.url}/readyz`)
    assert.is(ready.status, 503)
    const body = (await ready.json()) as { status: string; checks: Record<string, string> }
    assert.is(body.status, 'unavailable')
    assert.match(body.checks.database!, /^error: /)
    assert.is((await fetch(`${t.url}/healthz`)).status, 200)
  } finally {
    await t.stop()
  }
})

test('/readyz turns 503 when a table it reads is gone (a broken or foreign database file)', async () => {
  const t = await startTestConnector()
  try {
    await t.connector.worker.stop()
    t.connector.context.sqlite.exec('drop table settings')
    const ready = await fetch(`${t.url}/readyz`)
    assert.is(ready.status, 503)
    assert.match(((await ready.json()) as { checks: Record<string, string> }).checks.database!, /no such table/)
  } finally {
    await t.stop()
  }
})

test('/readyz turns 503 while the connector is draining for shutdown', async () => {
  const t = await startTestConnector()
  let draining = false
  const app = new Koa()
  app.use(createHealthRouter(t.connector.context, { draining: () => draining }).routes())
  const server = createServer(app.callback())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  try {
    assert.is((await fetch(`${url}/readyz`)).status, 200)
    draining = true
    const ready = await fetch(`${url}/readyz`)
    assert.is(ready.status, 503)
    assert.match(((await ready.json()) as { checks: Record<string, string> }).checks.shutdown!, /draining/)
    assert.is((await fetch(`${url}/healthz`)).status, 200)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await t.stop()
  }
})

test('Connector.draining is false while running and true once stop() begins', async () => {
  const t = await startTestConnector()
  assert.is(t.connector.draining, false)
  const stopping = t.stop()
  assert.is(t.connector.draining, true)
  await stopping
})

test.run()
