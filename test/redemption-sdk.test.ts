/**
 * The SDK's fetch transport against the real connector (issue 5, "Show"):
 * concurrency, a lost answer retried through a connection-cutting proxy,
 * error codes as typed errors, user tokens, 429 and 409 IN_USE retries.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiKey, revokeApiKey } from '@benefitkit/connector'
import { createRedemptionClient, isBenefitKitError, type BenefitKitError, type RedemptionClientOptions } from '@benefitkit/miniprogram-sdk'
import { fetchTransport } from '@benefitkit/miniprogram-sdk/fetch'
import { seedInstance } from '../packages/connector/test/support/seed-instances.js'
import { sharedRedemptionEnv, startRedemptionEnv, type RedemptionEnv } from '../packages/connector/test/support/redemption-env.js'

const shared = sharedRedemptionEnv()
const test = suite('redemption: SDK (fetch) against the real connector')
test.after(() => shared.stop())

function client(env: RedemptionEnv, options: Partial<RedemptionClientOptions> = {}) {
  return createRedemptionClient({
    baseUrl: env.url,
    auth: { apiKey: env.secret },
    transport: fetchTransport(),
    now: env.now,
    random: () => 0.1,
    ...options,
  })
}

async function failure(promise: Promise<unknown>): Promise<BenefitKitError> {
  try {
    await promise
  } catch (error) {
    if (isBenefitKitError(error)) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

async function counts(env: RedemptionEnv, instanceId: string) {
  const redemptions = await env.db.selectFrom('redemptions').selectAll().where('instance_id', '=', instanceId).execute()
  const outbox = await env.db
    .selectFrom('outbox')
    .select(['body'])
    .where('api', '=', 'syncUsedBenefit')
    .where('body', 'like', `%"benefitInstanceId":"${instanceId}"%`)
    .execute()
  return { redemptions, outbox }
}

test('server side with an API key: lookup, redeem, and the redeem is visible in the database', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { pin: '2468' })
  const sdk = client(env)
  const looked = await sdk.lookup({ benefitCode: inst.code })
  assert.is(looked.redeemable, true)
  assert.is(looked.pinRequired, true)
  assert.ok(looked.requestId)
  // The PIN travels with a lookup too, so a wrong one shows before the shopper pays.
  const wrongPin = await sdk.lookup({ benefitCode: inst.code, benefitPin: '0000' })
  assert.is(wrongPin.redeemable, false)
  assert.is(wrongPin.reason, 'PIN_MISMATCH')
  assert.is((await sdk.lookup({ benefitCode: inst.code, benefitPin: '2468' })).redeemable, true)
  const result = await sdk.redeem({ benefitCode: inst.code, benefitPin: '2468', orderId: 'order-77', usedAmount: { currency: 'HKD', value: '1000' } })
  assert.is(result.replayed, false)
  assert.is(result.instance.status, 'USED')
  assert.is(result.redemption.orderId, 'order-77')
  const { redemptions, outbox } = await counts(env, inst.id)
  assert.is(redemptions[0]!.id, result.redemption.redemptionId)
  assert.is(outbox.length, 1)
})

test('100 concurrent SDK redeems of one code: exactly 1 success, 99 BENEFIT_ALREADY_USED, one syncUsedBenefit row', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const sdk = client(env)
  const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => sdk.redeem({ benefitCode: inst.code })))
  const ok = outcomes.filter((o) => o.status === 'fulfilled')
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as BenefitKitError] : []))
  assert.is(ok.length, 1)
  assert.is(refused.length, 99)
  for (const error of refused) {
    assert.ok(isBenefitKitError(error), String(error))
    assert.is(error.code, 'BENEFIT_ALREADY_USED')
    assert.is(error.status, 409)
    assert.is(error.retryable, false)
    assert.ok(error.requestId)
  }
  const { redemptions, outbox } = await counts(env, inst.id)
  assert.is(redemptions.length, 1)
  assert.is(outbox.length, 1)
})

/**
 * A TCP proxy that cuts the connection of the first redeem as soon as the
 * connector's answer starts to arrive, i.e. after the commit, keeping the
 * bytes it swallowed. Everything else passes through.
 */
async function answerDroppingProxy(target: URL): Promise<{ url: string; dropped: () => string; close: () => Promise<void> }> {
  let dropped: Buffer[] | undefined
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    sockets.add(client).add(upstream)
    let isFirstRedeem = false
    client.on('data', (chunk: Buffer) => {
      if (dropped === undefined && chunk.toString('latin1').startsWith('POST /v1/redemptions ')) {
        dropped = []
        isFirstRedeem = true
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (isFirstRedeem) {
        dropped!.push(chunk)
        client.destroy()
        upstream.destroy()
        return
      }
      client.write(chunk)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    dropped: () => Buffer.concat(dropped ?? []).toString('utf8'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

test('an answer lost after the commit and retried by the SDK: one redemption, the same answer', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const proxy = await answerDroppingProxy(new URL(env.url))
  try {
    const retries: string[] = []
    const sdk = client(env, { baseUrl: proxy.url, onRetry: ({ error }) => retries.push(error.code) })
    const result = await sdk.redeem({ benefitCode: inst.code, orderId: 'lost-1' })
    assert.equal(retries, ['NETWORK_ERROR'])
    assert.is(result.replayed, true)
    // The answer the first attempt never delivered is the one the retry got.
    const lost = proxy.dropped()
    assert.match(lost, /^HTTP\/1\.1 200 /)
    const lostBody = JSON.parse(lost.slice(lost.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
    assert.equal({ redemption: result.redemption, instance: result.instance }, lostBody)
    const { redemptions, outbox } = await counts(env, inst.id)
    assert.is(redemptions.length, 1)
    assert.is(outbox.length, 1)
    assert.is(redemptions[0]!.id, result.redemption.redemptionId)
  } finally {
    await proxy.close()
  }
})

test('errors arrive as typed errors with the API code, status and request id; none is retried', async () => {
  const env = await shared.get()
  const now = env.now()
  const expired = await seedInstance(env.db, { activateAt: now - 86_400_000, expireAt: now - 1 })
  const reversed = await seedInstance(env.db, { state: 'REVERSED' })
  const pinned = await seedInstance(env.db, { pin: '1357' })
  const retries: string[] = []
  const sdk = client(env, { onRetry: ({ error }) => retries.push(error.code) })
  // Run one after the other: a call started early would reject before anyone awaits it.
  const cases: Array<[() => Promise<unknown>, string, number]> = [
    [() => sdk.redeem({ benefitCode: expired.code }), 'BENEFIT_EXPIRED', 422],
    [() => sdk.redeem({ benefitCode: reversed.code }), 'BENEFIT_REVERSED', 409],
    [() => sdk.redeem({ benefitCode: 'NO-SUCH-CODE' }), 'BENEFIT_NOT_FOUND', 404],
    [() => sdk.redeem({ benefitCode: pinned.code, benefitPin: '0000' }), 'PIN_MISMATCH', 422],
    [() => sdk.redeem({ benefitCode: pinned.code, benefitPin: '1357', userId: 'someone-else' }), 'USER_MISMATCH', 422],
    [() => sdk.redeem({ benefitCode: pinned.code, useScene: 'MARS' as never }), 'INVALID_REQUEST', 400],
  ]
  for (const [call, code, status] of cases) {
    const error = await failure(call())
    assert.is(error.code, code)
    assert.is(error.status, status)
    assert.ok(error.requestId, `${code} carries the request id`)
    assert.ok(error.idempotencyKey, 'a failed redeem tells its key')
  }
  assert.equal(retries, [])
})

test('user tokens: the server mints one, the mini program redeems its own benefit, not another user\'s', async () => {
  const env = await shared.get()
  const mine = await seedInstance(env.db, { userId: 'alice' })
  const theirs = await seedInstance(env.db, { userId: 'bob' })
  const server = client(env)
  let minted = 0
  const miniProgram = client(env, {
    auth: {
      getToken: async () => {
        minted += 1
        return (await server.createUserToken({ userId: 'alice', ttlSeconds: 300 })).token
      },
    },
  })
  assert.is((await miniProgram.lookup({ benefitCode: mine.code })).redeemable, true)
  const forbidden = await failure(miniProgram.redeem({ benefitCode: theirs.code }))
  assert.is(forbidden.code, 'FORBIDDEN')
  assert.is(forbidden.status, 403)
  const lookupOther = await failure(miniProgram.lookup({ benefitCode: theirs.code }))
  assert.is(lookupOther.code, 'FORBIDDEN')
  const result = await miniProgram.redeem({ benefitCode: mine.code })
  assert.is(result.redemption.userId, 'alice')
  assert.is(minted, 1, 'the token is fetched once and reused')
  const tokenMinting = await failure(miniProgram.createUserToken({ userId: 'alice' }))
  assert.is(tokenMinting.code, 'INVALID_REQUEST')
})

test('an expired token and a revoked key are refused with UNAUTHENTICATED', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db, { userId: 'carol' })
  const key = await createApiKey(env.db, { name: 'short-lived', now: env.now() })
  const server = client(env, { auth: { apiKey: key.secret } })
  const { token } = await server.createUserToken({ userId: 'carol', ttlSeconds: 60 })
  const withToken = client(env, { auth: { token } })
  assert.is((await withToken.lookup({ benefitCode: inst.code })).redeemable, true)
  env.clock.offset += 61_000
  try {
    const expired = await failure(withToken.redeem({ benefitCode: inst.code }))
    assert.is(expired.code, 'UNAUTHENTICATED')
    assert.is(expired.status, 401)
    assert.match(expired.message, /expired/)
  } finally {
    env.clock.offset -= 61_000
  }
  await revokeApiKey(env.db, key.id, env.now())
  env.clock.offset += 1001
  try {
    const revoked = await failure(server.lookup({ benefitCode: inst.code }))
    assert.is(revoked.code, 'UNAUTHENTICATED')
    assert.match(revoked.message, /revoked/)
  } finally {
    env.clock.offset -= 1001
  }
  const state = await env.db.selectFrom('instances').select('state').where('id', '=', inst.id).executeTakeFirstOrThrow()
  assert.is(state.state, 'ACTIVATED')
})

test('the SDK waits out 409 IDEMPOTENCY_KEY_IN_USE: two redeems with one key give one redemption', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const sdk = client(env)
  await sdk.lookup({ benefitCode: inst.code }) // warm the key cache before holding the database
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let holding!: () => void
  const held = new Promise<void>((resolve) => (holding = resolve))
  const holder = env.db.transaction().execute(async (trx) => {
    await trx.selectFrom('settings').select('key').execute()
    holding()
    await gate
  })
  await held
  const retries: string[] = []
  const retrying = client(env, { onRetry: ({ error }) => retries.push(error.code), random: () => 1 })
  const key = `order-${inst.id}`
  const first = sdk.redeem({ benefitCode: inst.code }, { idempotencyKey: key })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const second = retrying.redeem({ benefitCode: inst.code }, { idempotencyKey: key })
  await new Promise((resolve) => setTimeout(resolve, 200))
  release()
  await holder
  const [a, b] = await Promise.all([first, second])
  assert.ok(retries.length >= 1 && retries.every((code) => code === 'IDEMPOTENCY_KEY_IN_USE'), retries.join(','))
  assert.is(a.replayed, false)
  assert.is(b.replayed, true)
  assert.equal(b.redemption, a.redemption)
  assert.is((await counts(env, inst.id)).redemptions.length, 1)
})

test('the SDK honours 429 Retry-After and gets through once the bucket refills', async () => {
  const env = await startRedemptionEnv({ rateLimitPerSecond: 1 })
  try {
    const inst = await seedInstance(env.db)
    const delays: number[] = []
    const sdk = client(env, { onRetry: ({ error, delayMs }) => error.code === 'RATE_LIMITED' && delays.push(delayMs) })
    // Burst 2: two lookups empty the bucket, the redeem meets a 429 and waits Retry-After.
    await sdk.lookup({ benefitCode: inst.code })
    await sdk.lookup({ benefitCode: inst.code })
    const started = Date.now()
    const result = await sdk.redeem({ benefitCode: inst.code })
    assert.is(result.instance.status, 'USED')
    assert.ok(delays.length >= 1, 'was rate limited')
    assert.ok(delays[0]! >= 1000, `waited Retry-After (${delays[0]} ms)`)
    assert.ok(Date.now() - started >= 900)
  } finally {
    await env.stop()
  }
})

test.run()
