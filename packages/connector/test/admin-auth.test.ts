import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestConnector } from './support/connector.js'
import { admin, ADMIN_TOKEN } from './support/ops-admin.js'

test('without BENEFITKIT_ADMIN_TOKEN the admin API does not exist: 404 with or without a token', async () => {
  const t = await startTestConnector()
  try {
    assert.is((await admin(t.url, '/admin/v1/stats')).status, 404)
    assert.is((await admin(t.url, '/admin/v1/stats', { token: null })).status, 404)
    assert.is((await admin(t.url, '/admin/v1/templates', { method: 'POST', body: {} })).status, 404)
  } finally {
    await t.stop()
  }
})

test('no Authorization or a malformed one: 401 UNAUTHENTICATED with WWW-Authenticate and the request id', async () => {
  const t = await startTestConnector({ adminToken: ADMIN_TOKEN })
  try {
    for (const authorization of [undefined, '', ADMIN_TOKEN, `Basic ${ADMIN_TOKEN}`, 'Bearer', 'Bearer  ', `Bearer ${ADMIN_TOKEN} extra`]) {
      const answer = await admin(t.url, '/admin/v1/stats', authorization === undefined ? { token: null } : { authorization })
      assert.is(answer.status, 401, `Authorization: ${String(authorization)}`)
      assert.is(answer.json.error.code, 'UNAUTHENTICATED')
      assert.match(answer.json.error.message, /Bearer/)
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer/)
      assert.ok(answer.json.error.requestId)
      assert.is(answer.json.error.requestId, answer.headers.get('x-request-id'))
    }
  } finally {
    await t.stop()
  }
})

test('a wrong token is 403 FORBIDDEN, also one that only differs in length or case', async () => {
  const t = await startTestConnector({ adminToken: ADMIN_TOKEN })
  try {
    for (const token of ['wrong-token-wrong-token', ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}0`, ADMIN_TOKEN.toUpperCase()]) {
      const answer = await admin(t.url, '/admin/v1/stats', { token })
      assert.is(answer.status, 403, token)
      assert.is(answer.json.error.code, 'FORBIDDEN')
    }
    // Unknown admin paths are behind the same gate: no way to probe which exist.
    assert.is((await admin(t.url, '/admin/v1/nope', { token: 'wrong-token-wrong-token' })).status, 403)
  } finally {
    await t.stop()
  }
})

test('the right token is 200; the scheme is case-insensitive; unknown endpoints are a JSON 404', async () => {
  const t = await startTestConnector({ adminToken: ADMIN_TOKEN })
  try {
    const ok = await admin(t.url, '/admin/v1/stats')
    assert.is(ok.status, 200)
    assert.is(ok.headers.get('cache-control'), 'no-store')
    assert.is(typeof ok.json.outbox.pending, 'number')
    assert.is((await admin(t.url, '/admin/v1/stats', { authorization: `bearer ${ADMIN_TOKEN}` })).status, 200)
    const missing = await admin(t.url, '/admin/v1/nope')
    assert.is(missing.status, 404)
    assert.is(missing.json.error.code, 'NOT_FOUND')
    const wrongMethod = await admin(t.url, '/admin/v1/stats', { method: 'DELETE' })
    assert.is(wrongMethod.status, 405)
  } finally {
    await t.stop()
  }
})

test.run()
