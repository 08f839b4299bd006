import { createHash, createHmac, randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { Connector, createApiKey, createLogger } from '@benefitkit/connector'
import { IDEMPOTENCY_KEY, LookupRequest, RedeemRequest, REDEMPTION_ERROR_STATUS, USE_SCENES } from '@benefitkit/shared'
import { testConfig } from '../packages/connector/test/support/connector.js'
import { seedInstances, seedTemplate, type SeededInstance } from '../packages/connector/test/support/seed-instances.js'
import { hmacAuthorization } from '../bench/support/hmac.js'
import { sendRaw, type RawAnswer } from './support/raw-http.js'

/**
 * Property-based fuzzing of the redemption API (POST /v1/redemptions and
 * POST /v1/benefits/lookup). Each case starts from a valid request signed with
 * an API key (BK-HMAC-SHA256, fresh nonce) and mutates its body — a field
 * deleted, a type swapped, a string too long, a forbidden character, a bad
 * amount or scene, an extra field (the API is strict), both or neither of
 * code and instance id, truncated JSON, garbage, not an object, invalid
 * UTF-8, a body over the limit — or its headers: Authorization (missing,
 * other schemes, a changed signature, stale or future ts, unknown key,
 * malformed parameters, a replayed nonce, signed for another body or path)
 * and Idempotency-Key (missing, too short, too long, bad characters).
 *
 * Every answer is JSON. Errors are `{"error":{"code","message","requestId"}}`
 * with a code of the contract and its HTTP status, never 500. An invalid
 * request is refused (400, or 401 for authentication) and changes nothing:
 * instances, redemptions, the outbox and the idempotency records are the same
 * before and after (nonces are burnt by any request whose signature verifies,
 * as documented). A request that stays valid is not refused as invalid.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 150)
const REDEEM = '/v1/redemptions'
const LOOKUP = '/v1/benefits/lookup'
let cases = 0
let validCases = 0
const statuses = new Map<string, number>()

type Body = Record<string, unknown>

interface Case {
  label: string
  raw: string | Buffer
  /** The body the signature covers when it is not `raw`. */
  signWith?: string
  /** Replaces the Authorization header (undefined: a valid one; null: none). */
  authorization?: (valid: string) => string | null
  /** Replaces the Idempotency-Key (null: none). */
  idempotencyKey?: string | null
  /** The status an invalid request must get. */
  expectStatus?: 400 | 401
}

interface Env {
  connector: Connector
  url: string
  secret: string
  keyId: string
  instances: SeededInstance[]
  /** A nonce already used by a successful request (for replay cases). */
  usedNonce: string
  stop(): Promise<void>
}

async function startEnv(count: number): Promise<Env> {
  const config = testConfig({ rateLimitPerSecond: 1_000_000 })
  const connector = await Connector.create(config, { logger: createLogger('silent') })
  const { url } = await connector.start()
  try {
    const { db } = connector.context
    const key = await createApiKey(db, { name: 'fuzz' })
    const templateId = await seedTemplate(db)
    const plain = await seedInstances(db, Array.from({ length: count }, (_, i) => ({ userId: `fuzz_user_${i % 7}` })), { templateId })
    const pinned = await seedInstances(db, Array.from({ length: count }, (_, i) => ({ userId: `fuzz_user_${i % 7}`, pin: String(100000 + i) })), { templateId })
    const instances = plain.flatMap((p, i) => [p, pinned[i]!])
    const usedNonce = randomBytes(12).toString('base64url')
    const body = JSON.stringify({ benefitCode: instances[0]!.code })
    const first = await send(url, LOOKUP, { authorization: hmacAuthorization(key.secret, LOOKUP, body, { nonce: usedNonce }), 'content-type': 'application/json' }, body)
    assert.is(first.status, 200, `a valid lookup: ${first.raw}`)
    return {
      connector,
      url,
      secret: key.secret,
      keyId: key.id,
      instances,
      usedNonce,
      async stop() {
        await connector.stop()
        rmSync(join(config.db, '..'), { recursive: true, force: true })
      },
    }
  } catch (error) {
    await connector.stop()
    throw error
  }
}

/* ------------------------------------------------------------- mutations */

interface FieldRule {
  max: number
  /** Refuses @ # ? (ids). */
  id?: boolean
}

const STRINGS: Record<string, FieldRule> = {
  benefitCode: { max: 256 },
  benefitInstanceId: { max: 64, id: true },
  benefitPin: { max: 64 },
  userId: { max: 32, id: true },
  orderId: { max: 64 },
  storeId: { max: 64 },
}

const nonString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string(), { maxKeys: 2 }))

/** The text with `bytes` at the start of its first string value. */
function inString(text: string, bytes: readonly number[]): Buffer {
  const at = text.indexOf('":"') + 3
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))])
}

function bodyMutation(base: Body, required: readonly string[], redeem: boolean): fc.Arbitrary<Case> {
  const json = (body: Body) => JSON.stringify(body)
  const present = Object.keys(base)
  const optional = present.filter((f) => !required.includes(f))
  const strings = present.filter((f) => f in STRINGS)
  const ids = strings.filter((f) => STRINGS[f]!.id)
  const without = (field: string) => {
    const copy = { ...base }
    delete copy[field]
    return copy
  }
  const invalid = (label: string, raw: string | Buffer): Case => ({ label, raw, expectStatus: 400 })
  const kinds: Array<fc.Arbitrary<Case>> = [
    fc.constant({ label: 'unchanged', raw: json(base) }),
    // Still valid, refused for business reasons (stored for replays, so a change is allowed).
    fc.constantFrom(
      ...(redeem ? [{ label: 'another user', raw: json({ ...base, userId: 'fuzz_user_somebody' }) }] : []),
      { label: 'a wrong PIN', raw: json({ ...base, benefitPin: '000000' }) },
      { label: 'an unknown code', raw: json({ ...without('benefitInstanceId'), benefitCode: `NOPE${randomBytes(6).toString('hex')}` }) },
      { label: 'a used benefit', raw: json({ ...without('benefitInstanceId'), benefitCode: usedCode() ?? 'NONE' }) },
    ),
    fc.constantFrom(...required).map((f) => invalid(`${f} deleted`, json(without(f)))),
    fc.constantFrom(...present).chain((f) => nonString.map((v) => invalid(`${f} → ${JSON.stringify(v)}`, json({ ...base, [f]: v })))),
    fc
      .record({ key: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'redemptionId', 'status')), value: fc.jsonValue({ maxDepth: 2 }) })
      .filter(({ key }) => !present.includes(key) && !(key in STRINGS) && !['useScene', 'usedAmount'].includes(key))
      .map(({ key, value }) => invalid(`extra field ${key}`, json(base).replace(/^\{/, `{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'},`))),
    fc.integer({ min: 0, max: 10_000 }).map((n) => invalid('truncated JSON', json(base).slice(0, n % json(base).length))),
    fc
      .string({ maxLength: 80 })
      .filter((s) => {
        try {
          const v: unknown = JSON.parse(s)
          return typeof v !== 'object' || v === null || Array.isArray(v)
        } catch {
          return true
        }
      })
      .map((s) => invalid(`garbage ${JSON.stringify(s).slice(0, 30)}`, s)),
    fc.constantFrom('[]', '[{}]', '"text"', '42', 'null', 'true', '{}').map((s) => invalid(`JSON ${s}`, s)),
    fc.constant(invalid('invalid UTF-8 outside strings', Buffer.concat([Buffer.from(json(base).slice(0, -1)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('}')]))),
    // Inside a string the bytes would still parse as JSON if decoded leniently (U+FFFD): they must be refused.
    fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]).map((bad) =>
      invalid(`invalid UTF-8 in a string (${bad.map((b) => b.toString(16)).join(' ')})`, inString(json(base), bad)),
    ),
    fc.constant(invalid('body over the limit', json({ ...base, orderId: 'x'.repeat(70 * 1024) }))),
  ]
  if (optional.length) kinds.push(fc.constantFrom(...optional).map((f) => ({ label: `optional ${f} deleted`, raw: json(without(f)) })))
  if (strings.length) {
    kinds.push(
      fc.tuple(fc.constantFrom(...strings), fc.integer({ min: 1, max: 300 })).map(([f, extra]) => invalid(`${f} too long`, json({ ...base, [f]: String(base[f]).padEnd(STRINGS[f]!.max + extra, 'x') }))),
      fc.constantFrom(...strings).map((f) => invalid(`${f} empty`, json({ ...base, [f]: '' }))),
    )
  }
  if (ids.length) {
    kinds.push(
      fc.tuple(fc.constantFrom(...ids), fc.constantFrom('@', '#', '?'), fc.nat()).map(([f, ch, at]) => {
        const value = String(base[f])
        const i = at % (value.length + 1)
        return invalid(`${f} with ${ch}`, json({ ...base, [f]: value.slice(0, i) + ch + value.slice(i) }))
      }),
    )
  }
  if (redeem) {
    kinds.push(
      fc.constantFrom('SHOP', 'mini_program', '', 'MINI_PROGRAM ').map((v) => invalid(`useScene ${JSON.stringify(v)}`, json({ ...base, useScene: v }))),
      fc
        .constantFrom<unknown>({ currency: 'hkd', value: '100' }, { currency: 'HKD', value: '0' }, { currency: 'HKD', value: '-1' }, { currency: 'HKD', value: '1.5' }, { currency: 'HKD', value: 100 }, { currency: 'HKD' }, { value: '100' }, { currency: 'HKD', value: '1'.repeat(19) }, { currency: 'HKD', value: '100', extra: 1 }, 'HKD 1.00')
        // Mostly invalid; the schema decides (an extra key inside the amount is dropped, not refused).
        .map((v) => ({ label: `usedAmount ${JSON.stringify(v)}`, raw: json({ ...base, usedAmount: v }) })),
    )
  }
  if (redeem && 'benefitCode' in base) {
    kinds.push(fc.constant(invalid('benefitCode and benefitInstanceId both', json({ ...base, benefitInstanceId: 'bi_x' }))))
  }
  return fc.oneof(fc.constant({ label: 'unchanged', raw: json(base) }), ...kinds).map(readable)
}

/** The code of a benefit some earlier case redeemed. */
let usedCode: () => string | undefined = () => undefined

function headerMutation(base: Body, path: string, redeem: boolean): fc.Arbitrary<Case> {
  const raw = JSON.stringify(base)
  const unauth = (label: string, authorization: Case['authorization'], extra: Partial<Case> = {}): Case => ({ label, raw, authorization, expectStatus: 401, ...extra })
  const params = (valid: string) => Object.fromEntries(valid.replace('BK-HMAC-SHA256 ', '').split(',').map((p) => p.split('=') as [string, string]))
  const rebuild = (p: Record<string, string>) => `BK-HMAC-SHA256 ${Object.entries(p).map(([k, v]) => `${k}=${v}`).join(',')}`
  const kinds: Array<fc.Arbitrary<Case>> = [
    fc.constant(unauth('Authorization missing', () => null)),
    fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer nonsense', 'Bearer bkt_AAAA.BBBB', 'Bearer ', 'BK-HMAC-SHA256', 'BK-HMAC-SHA256 ', 'bk-hmac-sha256 key=a', 'Token abc').map((v) =>
      unauth(`Authorization ${JSON.stringify(v)}`, () => v),
    ),
    // Flips stay inside the first 40 of the 43 characters, where base64url has no spare bits.
    fc.tuple(fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')).map(([at, ch]) =>
      unauth('sig changed', (valid) => {
        const p = params(valid)
        const i = at % 40
        p.sig = p.sig!.slice(0, i) + (p.sig![i] === ch ? (ch === 'A' ? 'B' : 'A') : ch) + p.sig!.slice(i + 1)
        return rebuild(p)
      }),
    ),
    fc.integer({ min: 6, max: 100_000 }).map((min) => unauth(`ts ${min} min old`, () => hmacAuthorization(envSecret, path, raw, { ts: Date.now() - min * 60_000 }))),
    fc.integer({ min: 6, max: 100_000 }).map((min) => unauth(`ts ${min} min ahead`, () => hmacAuthorization(envSecret, path, raw, { ts: Date.now() + min * 60_000 }))),
    fc.constantFrom('nokey', 'AAAAAAAA', '0').map((id) => unauth(`unknown key ${id}`, (valid) => rebuild({ ...params(valid), key: id }))),
    fc.constantFrom('short', 'has space in it!', 'x'.repeat(65), '').map((nonce) => unauth(`nonce ${JSON.stringify(nonce)}`, (valid) => rebuild({ ...params(valid), nonce }))),
    fc.constantFrom('key', 'ts', 'nonce', 'sig').map((name) =>
      unauth(`${name} missing`, (valid) => {
        const p = params(valid)
        delete p[name]
        return rebuild(p)
      }),
    ),
    fc.constantFrom('key', 'ts').map((name) => unauth(`${name} twice`, (valid) => `${valid},${name}=${params(valid)[name]}`)),
    fc.constant(unauth('nonce replayed', () => hmacAuthorization(envSecret, path, raw, { nonce: envUsedNonce }))),
    fc.constant(unauth('signed for another path', () => hmacAuthorization(envSecret, path === REDEEM ? LOOKUP : REDEEM, raw))),
    fc.constant(unauth('signed as GET', () => hmacAuthorization(envSecret, path, raw, { method: 'GET' }))),
    fc.constant({ ...unauth('body changed after signing', undefined), raw: raw.replace(/}$/, ' }'), signWith: raw }),
  ]
  if (redeem) {
    kinds.push(
      fc.constantFrom<string | null>(null, '', 'short', 'has space', 'a/b/c/d/e', 'x'.repeat(256), 'key;drop').map((key) => ({
        label: `Idempotency-Key ${key === null ? 'missing' : JSON.stringify(key.slice(0, 20))}`,
        raw,
        idempotencyKey: key,
        expectStatus: 400,
      })),
    )
  }
  return fc.oneof(...kinds).map(readable)
}

// Set by the tests before any case runs (header mutations sign with the env's key).
let envSecret = ''
let envUsedNonce = ''

/** How fast-check prints a case when it fails: the label and the start of the body, not 70 KB of it. */
function readable(c: Case): Case {
  const text = typeof c.raw === 'string' ? c.raw : `<${c.raw.length} bytes>`
  Object.defineProperty(c, fc.toStringMethod, { value: () => `${c.label}: ${text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text}`, enumerable: false, configurable: true })
  return c
}

/* --------------------------------------------------------------- sending */

type Answer = RawAnswer

const send = (url: string, path: string, headers: Record<string, string>, body: string | Buffer) => sendRaw(url, 'POST', path, headers, body)

/** What a redemption may change; nonces and the key's last use are left out (any verified signature burns its nonce). */
function snapshot(env: Env): string {
  const sqlite = env.connector.context.sqlite
  // The outbox worker retries rows in the background (no platform here): only the rows themselves count.
  const queries = ['instances', 'redemptions', 'idempotency_keys', 'templates', 'issuings'].map((table) => `select * from ${table} order by rowid`)
  queries.push('select id, api, idempotency_id, body from outbox order by id')
  return queries.map((q) => JSON.stringify(sqlite.prepare(q).all())).join('\n')
}

function schemaValid(path: string, raw: string | Buffer): boolean {
  try {
    const text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw)
    if (Buffer.byteLength(text) > 64 * 1024) return false
    return (path === REDEEM ? RedeemRequest : LookupRequest).safeParse(JSON.parse(text)).success
  } catch {
    return false
  }
}

async function check(env: Env, path: string, c: Case): Promise<void> {
  cases++
  const validAuth = typeof c.raw === 'string' ? hmacAuthorization(env.secret, path, c.signWith ?? c.raw) : bufferAuthorization(env.secret, path, c.raw)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const authorization = c.authorization ? c.authorization(validAuth) : validAuth
  if (authorization !== null) headers.authorization = authorization
  const idempotencyKey = c.idempotencyKey === undefined ? `fuzz-${process.pid}-${cases}-${randomBytes(4).toString('hex')}` : c.idempotencyKey
  if (path === REDEEM && idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey

  const keyValid = path !== REDEEM || (idempotencyKey !== null && IDEMPOTENCY_KEY.test(idempotencyKey))
  const valid = schemaValid(path, c.raw) && !c.authorization && !c.signWith && keyValid
  if (c.expectStatus === 400 && c.idempotencyKey === undefined) {
    assert.not.ok(schemaValid(path, c.raw), `${c.label}: the generator meant an invalid body, the schema accepts it: ${String(c.raw).slice(0, 200)}`)
  }

  const before = snapshot(env)
  const answer = await send(env.url, path, headers, c.raw)
  const after = snapshot(env)

  const what = `${path} / ${c.label}: HTTP ${answer.status} ${answer.raw.slice(0, 300)}`
  statuses.set(String(answer.status), (statuses.get(String(answer.status)) ?? 0) + 1)
  assert.ok(answer.status !== 500 && answer.status < 500, `never a 5xx: ${what}`)
  assert.match(answer.headers['content-type'] ?? '', /application\/json/, what)
  assert.ok(answer.headers['x-request-id'], `X-Request-Id: ${what}`)
  const json = JSON.parse(answer.raw) as { error?: { code?: unknown; message?: unknown; requestId?: unknown } }
  if (answer.status !== 200) {
    const error = json.error
    assert.ok(error && typeof error === 'object', `error body: ${what}`)
    assert.type(error.code, 'string', what)
    assert.type(error.message, 'string', what)
    assert.ok((error.message as string).length > 0, what)
    const code = error.code as keyof typeof REDEMPTION_ERROR_STATUS
    assert.ok(code in REDEMPTION_ERROR_STATUS, `known code: ${what}`)
    assert.is(answer.status, REDEMPTION_ERROR_STATUS[code], `the contract's status for ${code}: ${what}`)
    assert.is(error.requestId, answer.headers['x-request-id'], `requestId is this request's: ${what}`)
  }
  if (valid) {
    validCases++
    assert.ok(![400, 401].includes(answer.status), `a valid request refused: ${what}`)
  } else {
    if (c.expectStatus) assert.is(answer.status, c.expectStatus, `expected ${c.expectStatus}: ${what}`)
    else assert.ok([400, 401].includes(answer.status), `expected 400 or 401: ${what}`)
    assert.ok(before === after, `an invalid request changed the database: ${what}`)
  }
  if (path === LOOKUP) assert.ok(before === after, `a lookup changed the database: ${what}`)
}

/** hmacAuthorization signs text; a body that is not UTF-8 is signed over its exact bytes. */
function bufferAuthorization(secret: string, path: string, body: Buffer): string {
  const keyId = /^bk_([A-Za-z0-9]+)_/.exec(secret)![1]!
  const ts = Date.now()
  const nonce = randomBytes(12).toString('base64url')
  const key = createHash('sha256').update(secret).digest()
  const sig = createHmac('sha256', key).update(`POST\n${path}\n${ts}\n${nonce}\n`).update(body).digest('base64url')
  return `BK-HMAC-SHA256 key=${keyId},ts=${ts},nonce=${nonce},sig=${sig}`
}

/* ----------------------------------------------------------------- tests */

test('fuzz POST /v1/redemptions: JSON errors of the contract, never a 500, no change from invalid requests', async () => {
  const env = await startEnv(RUNS)
  envSecret = env.secret
  envUsedNonce = env.usedNonce
  usedCode = () => (env.connector.context.sqlite.prepare("select code from instances where state = 'USED' limit 1").get() as { code: string } | undefined)?.code
  try {
    let next = 0
    const base = fc
      .record({
        byId: fc.boolean(),
        withPin: fc.integer({ min: 0, max: 9 }),
        withUser: fc.boolean(),
        useScene: fc.option(fc.constantFrom(...USE_SCENES), { nil: undefined }),
        usedAmount: fc.option(fc.record({ currency: fc.constantFrom('HKD', 'USD'), value: fc.integer({ min: 1, max: 99_999 }).map(String) }), { nil: undefined }),
        orderId: fc.option(fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), { nil: undefined }),
        storeId: fc.option(fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), { nil: undefined }),
      })
      .map((o) => {
        // Each case redeems a benefit no case used before.
        const instance = env.instances[next++ % env.instances.length]!
        const body: Body = o.byId ? { benefitInstanceId: instance.id } : { benefitCode: instance.code }
        if (instance.pin && o.withPin > 0) body.benefitPin = instance.pin
        if (o.withUser) body.userId = instance.userId
        for (const f of ['useScene', 'usedAmount', 'orderId', 'storeId'] as const) if (o[f] !== undefined) body[f] = o[f]
        return body
      })
    await fc.assert(
      fc.asyncProperty(
        base.chain((body) => fc.oneof({ weight: 3, arbitrary: bodyMutation(body, [body.benefitCode !== undefined ? 'benefitCode' : 'benefitInstanceId'], true) }, { weight: 2, arbitrary: headerMutation(body, REDEEM, true) })),
        (c) => check(env, REDEEM, c),
      ),
      { numRuns: RUNS, includeErrorInReport: true },
    )
  } finally {
    await env.stop()
  }
})

test('fuzz POST /v1/benefits/lookup: JSON errors of the contract, never a 500, never a change', async () => {
  const env = await startEnv(20)
  envSecret = env.secret
  envUsedNonce = env.usedNonce
  // One benefit already redeemed, for "a used benefit".
  const used = env.instances[1]!
  const body = JSON.stringify({ benefitCode: used.code, benefitPin: used.pin })
  const redeemed = await send(env.url, REDEEM, { authorization: hmacAuthorization(env.secret, REDEEM, body), 'idempotency-key': 'fuzz-setup-redeem', 'content-type': 'application/json' }, body)
  assert.is(redeemed.status, 200, redeemed.raw)
  usedCode = () => used.code
  try {
    const base = fc.record({ at: fc.nat(), withPin: fc.boolean() }).map(({ at, withPin }) => {
      const instance = env.instances[at % env.instances.length]!
      const body: Body = { benefitCode: instance.code }
      if (instance.pin && withPin) body.benefitPin = instance.pin
      return body
    })
    await fc.assert(
      fc.asyncProperty(base.chain((body) => fc.oneof({ weight: 3, arbitrary: bodyMutation(body, ['benefitCode'], false) }, { weight: 2, arbitrary: headerMutation(body, LOOKUP, false) })), (c) =>
        check(env, LOOKUP, c),
      ),
      { numRuns: RUNS, includeErrorInReport: true },
    )
  } finally {
    await env.stop()
  }
})

test('fuzz: case count', () => {
  const byStatus = [...statuses].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`).join(', ')
  console.log(`fuzz: ${cases} cases of the redemption API (${validCases} still valid after mutation, ${cases - validCases} invalid); HTTP statuses: ${byStatus}`)
  assert.ok(cases >= 2 * RUNS, `${cases} cases ran`)
})

test.run()
