import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { benefitApis, classifyAnswer, formatProtocolTime, isKnownResultCode, SYNC_FAIL_CODES, SYNC_STATUSES, type IsvApiName } from '@benefitkit/shared'
import { signRequest, verifyResponse } from '@benefitkit/shared/signing'
import { TEST_CLIENT_ID } from '../packages/connector/test/support/connector.js'
import { issue, syncedTemplate, withConnector } from '../packages/connector/test/support/issuing.js'
import { testKeys } from '../packages/connector/test/support/keys.js'
import type { TestConnector } from '../packages/connector/test/support/connector.js'
import { sendRaw, type RawAnswer } from './support/raw-http.js'

/**
 * Property-based fuzzing of the four calls the platform makes to the connector
 * (notifyBenefitSync, issueBenefit, reverseBenefitIssue, inquireBenefitIssue).
 * Each case starts from a valid signed request and mutates it:
 *
 *   - the body (re-signed, so it reaches parsing and validation): a field
 *     deleted, its type swapped, a string too long, a forbidden character, a
 *     value out of range, an extra field, truncated JSON, garbage, not an
 *     object, invalid UTF-8, a body over the limit;
 *   - the headers (not re-signed): Signature (flipped, truncated, missing,
 *     malformed, unknown keyVersion), Client-Id (missing, another),
 *     Request-Time (missing, stale, future, malformed, shifted), the body
 *     changed after signing, another method, an unknown path.
 *
 * Every answer must be HTTP 200, signed by the connector over its exact bytes,
 * flat and well formed, never SYSTEM_ERROR (our 500). A request that is
 * invalid — by construction, cross-checked against the shared schema — must be
 * refused as invalid and change nothing in the database (every row of the
 * tables the four calls touch, before and after). A request that stays valid
 * (an extra field, an optional field dropped) must not be refused as invalid.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 150)
let cases = 0
let validCases = 0
const answered = new Map<string, number>()

type Body = Record<string, unknown>
type Expect = 'valid' | 'invalid' | 'schema'

interface Case {
  label: string
  raw: string | Buffer
  /** Body changed after signing: the signature covers this text instead. */
  signWith?: string
  expect: Expect
  headers?: (h: Record<string, string>) => Record<string, string>
  method?: string
  path?: string
  /** For header mutations: the codes the connector may answer. */
  codes?: readonly string[]
}

interface FieldSpec {
  required: readonly string[]
  optional: readonly string[]
  /** String fields and their maximum length; `id` fields refuse @ # ?. */
  strings: Record<string, { max: number; id?: boolean; pattern?: 'clientCode' | 'enum' }>
  ints: readonly string[]
}

const FIELDS: Record<IsvApiName, FieldSpec> = {
  notifyBenefitSync: {
    required: ['benefitSyncRequestId', 'syncStatus'],
    optional: ['syncFailCode', 'syncFailReason'],
    strings: { benefitSyncRequestId: { max: 64, id: true }, syncStatus: { max: 16, pattern: 'enum' }, syncFailCode: { max: 32, pattern: 'enum' }, syncFailReason: { max: 256 } },
    ints: [],
  },
  issueBenefit: {
    required: ['benefitIssueRequestId', 'userId', 'benefitTemplateId', 'quantity'],
    optional: ['clientCode'],
    strings: { benefitIssueRequestId: { max: 64, id: true }, userId: { max: 32, id: true }, benefitTemplateId: { max: 64, id: true }, clientCode: { max: 32, pattern: 'clientCode' } },
    ints: ['quantity'],
  },
  reverseBenefitIssue: {
    required: ['benefitIssueRequestId'],
    optional: ['userId', 'benefitTemplateId', 'quantity'],
    strings: { benefitIssueRequestId: { max: 64, id: true }, userId: { max: 32, id: true }, benefitTemplateId: { max: 64, id: true } },
    ints: ['quantity'],
  },
  inquireBenefitIssue: {
    required: ['benefitIssueRequestId'],
    optional: [],
    strings: { benefitIssueRequestId: { max: 64, id: true } },
    ints: [],
  },
}

/* ------------------------------------------------------------- mutations */

const nonString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string(), { maxKeys: 2 }))
const nonInt = fc.oneof(fc.string(), fc.constantFrom('1', '2'), fc.boolean(), fc.constant(null), fc.double({ min: 1.01, max: 99.99, noNaN: true }), fc.array(fc.integer(), { maxLength: 2 }))

/** The text with `bytes` at the start of its first string value. */
function inString(text: string, bytes: readonly number[]): Buffer {
  const at = text.indexOf('":"') + 3
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))])
}

function bodyMutation(api: IsvApiName, base: Body): fc.Arbitrary<Case> {
  const spec = FIELDS[api]
  const present = [...spec.required, ...spec.optional.filter((f) => base[f] !== undefined)]
  const stringFields = Object.keys(spec.strings).filter((f) => present.includes(f))
  const idFields = stringFields.filter((f) => spec.strings[f]!.id)
  const json = (body: Body) => JSON.stringify(body)
  const without = (field: string) => {
    const copy = { ...base }
    delete copy[field]
    return copy
  }
  const kinds: Array<fc.Arbitrary<Case>> = [
    fc.constant({ label: 'unchanged', raw: json(base), expect: 'valid' as Expect }),
    fc.constantFrom(...spec.required).map((f) => ({ label: `${f} deleted`, raw: json(without(f)), expect: 'invalid' as Expect })),
    fc
      .constantFrom(...present)
      .chain((f) => (spec.ints.includes(f) ? nonInt : nonString).map((value) => ({ f, value })))
      .map(({ f, value }) => ({ label: `${f} → ${JSON.stringify(value)}`, raw: json({ ...base, [f]: value }), expect: 'invalid' as Expect })),
    fc.record({ key: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'success', 'resultCode')), value: fc.jsonValue({ maxDepth: 2 }) })
      .filter(({ key }) => !(key in spec.strings) && !spec.ints.includes(key))
      .map(({ key, value }) => {
        // Written into the text, so a __proto__ key really is in the JSON.
        const text = json(base).replace(/^\{/, `{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'},`)
        return { label: `extra field ${key}`, raw: text, expect: 'schema' as Expect }
      }),
    fc.integer({ min: 0, max: 10_000 }).map((n) => ({ label: 'truncated JSON', raw: json(base).slice(0, n % json(base).length), expect: 'invalid' as Expect })),
    fc.string({ maxLength: 80 }).filter((s) => {
      try {
        const v: unknown = JSON.parse(s)
        return typeof v !== 'object' || v === null || Array.isArray(v)
      } catch {
        return true
      }
    }).map((s) => ({ label: `garbage ${JSON.stringify(s).slice(0, 30)}`, raw: s, expect: 'invalid' as Expect })),
    fc.constantFrom('[]', '[{}]', '"text"', '42', 'null', 'true', '{}').map((s) => ({ label: `JSON ${s}`, raw: s, expect: 'invalid' as Expect })),
    fc.constant({ label: 'invalid UTF-8', raw: Buffer.concat([Buffer.from(json(base).slice(0, -1)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('}')]), expect: 'invalid' as Expect }),
    fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]).map((bad) => ({
      label: `invalid UTF-8 in a string (${bad.map((b) => b.toString(16)).join(' ')})`,
      raw: inString(json(base), bad),
      expect: 'invalid' as Expect,
    })),
    fc.constant({ label: 'body over the limit', raw: json({ ...base, padding: 'x'.repeat(70 * 1024) }), expect: 'invalid' as Expect }),
  ]
  if (spec.optional.some((f) => base[f] !== undefined)) {
    kinds.push(
      fc.constantFrom(...spec.optional.filter((f) => base[f] !== undefined)).map((f) => ({ label: `optional ${f} deleted`, raw: json(without(f)), expect: 'schema' as Expect })),
    )
  }
  if (stringFields.length) {
    kinds.push(
      fc.tuple(fc.constantFrom(...stringFields), fc.integer({ min: 1, max: 300 })).map(([f, extra]) => ({
        label: `${f} too long`,
        raw: json({ ...base, [f]: String(base[f]).padEnd(spec.strings[f]!.max + extra, 'x') }),
        expect: 'invalid' as Expect,
      })),
      fc.constantFrom(...stringFields).map((f) => ({ label: `${f} empty`, raw: json({ ...base, [f]: '' }), expect: spec.strings[f]!.max === 256 ? ('schema' as Expect) : ('invalid' as Expect) })),
    )
  }
  if (idFields.length) {
    kinds.push(
      fc.tuple(fc.constantFrom(...idFields), fc.constantFrom('@', '#', '?'), fc.nat()).map(([f, ch, at]) => {
        const value = String(base[f])
        const i = at % (value.length + 1)
        return { label: `${f} with ${ch}`, raw: json({ ...base, [f]: value.slice(0, i) + ch + value.slice(i) }), expect: 'invalid' as Expect }
      }),
    )
  }
  for (const f of spec.ints.filter((x) => present.includes(x))) {
    kinds.push(fc.constantFrom(0, -1, 101, 1e9, -0.5).map((value) => ({ label: `${f} = ${value}`, raw: json({ ...base, [f]: value }), expect: 'invalid' as Expect })))
  }
  for (const f of stringFields.filter((x) => spec.strings[x]!.pattern)) {
    const bad = spec.strings[f]!.pattern === 'clientCode' ? fc.constantFrom('alipay_hk', 'ALIPAY-HK', 'ALIPAY HK', 'A'.repeat(33)) : fc.constantFrom('DONE', 'success', 'fail ', 'UNKNOWN_CODE')
    kinds.push(bad.map((value) => ({ label: `${f} = ${JSON.stringify(value)}`, raw: json({ ...base, [f]: value }), expect: 'invalid' as Expect })))
  }
  // The unchanged request again, so valid requests are a fair share of the cases.
  return fc.oneof(kinds[0]!, ...kinds).map(readable)
}

function headerMutation(base: Body, path: string): fc.Arbitrary<Case> {
  const raw = JSON.stringify(base)
  const c = (label: string, headers: Case['headers'], codes: readonly string[], extra: Partial<Case> = {}): Case => ({ label, raw, expect: 'invalid', headers, codes, ...extra })
  const SIG = ['INVALID_SIGNATURE', 'PARAM_ILLEGAL']
  const setSignature = (fn: (sig: string) => string) => (h: Record<string, string>) => ({ ...h, Signature: h.Signature!.replace(/signature=(.*)$/, (_m, s: string) => `signature=${fn(s)}`) })
  return fc.oneof(
    // Flip a character of the base64 itself, not of its URL encoding (`%2F` → `%2f`
    // decodes to the same bytes), and clear of the last characters, where base64 has spare bits.
    fc.tuple(fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')).map(([at, ch]) =>
      c('signature character changed', setSignature((s) => {
        const raw = decodeURIComponent(s)
        const i = at % Math.floor(raw.length * 0.8)
        return encodeURIComponent(raw.slice(0, i) + (raw[i] === ch ? (ch === 'A' ? 'B' : 'A') : ch) + raw.slice(i + 1))
      }), SIG),
    ),
    fc.integer({ min: 1, max: 300 }).map((n) => c('signature truncated', setSignature((s) => s.slice(0, Math.max(0, s.length - n))), SIG)),
    fc.constant(c('Signature missing', (h) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'Signature')), SIG)),
    fc.string({ maxLength: 60 }).map((s) => c('Signature garbage', (h) => ({ ...h, Signature: s }), SIG)),
    // (An empty keyVersion means 1: lenient in, protocol.md §2.)
    fc.constantFrom('2', '99', 'x', '1.0').map((v) => c(`keyVersion ${v}`, (h) => ({ ...h, Signature: h.Signature!.replace(/keyVersion=[^,]*/, `keyVersion=${v}`) }), ['KEY_NOT_FOUND', ...SIG])),
    fc.constant(c('algorithm RSA', (h) => ({ ...h, Signature: h.Signature!.replace('RSA256', 'RSA') }), SIG)),
    fc.constant(c('Client-Id missing', (h) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'Client-Id')), ['PARAM_ILLEGAL'])),
    // (Surrounding spaces are not a mutation: HTTP trims header values.)
    fc.constantFrom('OTHER_CLIENT', TEST_CLIENT_ID.toLowerCase(), `${TEST_CLIENT_ID}_2`).map((v) => c(`Client-Id ${v}`, (h) => ({ ...h, 'Client-Id': v }), ['INVALID_CLIENT', 'INVALID_SIGNATURE'])),
    fc.constant(c('Request-Time missing', (h) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'Request-Time')), ['PARAM_ILLEGAL'])),
    fc.integer({ min: 6, max: 100_000 }).map((min) => c(`Request-Time ${min} min old`, (h) => ({ ...h, 'Request-Time': formatProtocolTime(Date.now() - min * 60_000) }), ['PARAM_ILLEGAL'])),
    fc.integer({ min: 6, max: 100_000 }).map((min) => c(`Request-Time ${min} min ahead`, (h) => ({ ...h, 'Request-Time': formatProtocolTime(Date.now() + min * 60_000) }), ['PARAM_ILLEGAL'])),
    fc.constantFrom('2026-02-30T08:00:00+08:00', '2026-11-24T08:00:00', 'yesterday', '1732435200000', '2026-11-24 08:00:00+08:00', '').map((v) =>
      c(`Request-Time ${JSON.stringify(v)}`, (h) => ({ ...h, 'Request-Time': v }), ['PARAM_ILLEGAL']),
    ),
    fc.integer({ min: 1, max: 120 }).map((s) => c(`Request-Time shifted ${s} s`, (h) => ({ ...h, 'Request-Time': formatProtocolTime(Date.now() - s * 1000) }), ['INVALID_SIGNATURE'])),
    fc.constant({ ...c('body changed after signing', undefined, ['INVALID_SIGNATURE']), raw: raw.replace(/}$/, ' }'), signWith: raw }),
    fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH').map((m) => c(`method ${m}`, undefined, ['METHOD_NOT_SUPPORTED'], { method: m })),
    fc.constantFrom('/isv/benefit/unknown', '/isv/', '/isv', `${path}/x`, `${path}.json`).map((p) => c(`path ${p}`, undefined, ['INVALID_API'], { path: p })),
  ).map(readable)
}

/** How fast-check prints a case when it fails: the label and the start of the body, not 70 KB of it. */
function readable(c: Case): Case {
  const text = typeof c.raw === 'string' ? c.raw : `<${c.raw.length} bytes>`
  Object.defineProperty(c, fc.toStringMethod, { value: () => `${c.label}: ${text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text}`, enumerable: false, configurable: true })
  return c
}

/* --------------------------------------------------------------- sending */

type Answer = RawAnswer

const send = sendRaw

/** Every row of the tables the platform's calls may write. */
function snapshot(t: TestConnector): string {
  const sqlite = t.connector.context.sqlite
  // The outbox worker retries the template's syncBenefit in the background: only the rows themselves count.
  const queries = ['templates', 'issuings', 'instances', 'user_template_counts', 'template_codes'].map((table) => `select * from ${table} order by rowid`)
  queries.push('select id, api, idempotency_id, body from outbox order by id')
  return queries.map((q) => JSON.stringify(sqlite.prepare(q).all())).join('\n')
}

function schemaValid(api: IsvApiName, raw: string | Buffer): boolean {
  try {
    const text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw)
    if (Buffer.byteLength(text) > 64 * 1024) return false
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
    return benefitApis[api].request.safeParse(value).success
  } catch {
    return false
  }
}

const INVALID_CODES = ['PARAM_ILLEGAL', 'MEDIA_TYPE_NOT_ACCEPTABLE']

async function check(t: TestConnector, api: IsvApiName, c: Case): Promise<void> {
  cases++
  const keys = testKeys()
  const method = c.method ?? 'POST'
  const path = c.path ?? benefitApis[api].path
  const signedBody = c.signWith ?? c.raw
  let headers: Record<string, string> = signRequest({ method, path, clientId: TEST_CLIENT_ID, body: signedBody, key: keys.platformSigning })
  if (c.headers) headers = c.headers(headers)
  const valid = schemaValid(api, c.raw) && !c.headers && !c.signWith && !c.method && !c.path
  if (c.expect === 'valid') assert.ok(valid, `${c.label}: the generator meant a valid request: ${String(c.raw).slice(0, 200)}`)
  if (c.expect === 'invalid' && !c.codes) assert.not.ok(schemaValid(api, c.raw), `${c.label}: the generator meant an invalid body, the schema accepts it: ${String(c.raw).slice(0, 200)}`)

  const before = snapshot(t)
  const answer = await send(t.url, method, path, headers, c.raw)
  const after = snapshot(t)

  const what = `${api} / ${c.label}: HTTP ${answer.status} ${answer.raw.slice(0, 300)}`
  assert.is(answer.status, 200, what)
  // The answer is bound to the Client-Id the request named (ours when it named none).
  const clientId = headers['Client-Id'] || TEST_CLIENT_ID
  const signed = verifyResponse({ method, path, clientId, headers: answer.headers, body: answer.raw, keyring: keys.isvKeyring })
  assert.ok(signed, `answer signed: ${what}`)
  assert.ok(answer.headers['response-time'], `Response-Time: ${what}`)
  const json = JSON.parse(answer.raw) as { success: unknown; resultCode: unknown; resultMessage: unknown }
  assert.type(json.success, 'boolean', what)
  assert.type(json.resultCode, 'string', what)
  assert.type(json.resultMessage, 'string', what)
  assert.ok((json.resultMessage as string).length <= 256, what)
  const code = json.resultCode as string
  assert.ok(isKnownResultCode(code), `known result code: ${what}`)
  assert.is.not(code, 'SYSTEM_ERROR', `never an internal error: ${what}`)
  assert.is(json.success, code === 'SUCCESS', what)
  assert.is.not(classifyAnswer({ httpStatus: answer.status, signatureValid: signed, body: json }).code, 'MALFORMED_ANSWER', what)

  answered.set(code, (answered.get(code) ?? 0) + 1)
  if (valid) {
    validCases++
    assert.not.ok([...INVALID_CODES, 'INVALID_SIGNATURE', 'KEY_NOT_FOUND', 'INVALID_CLIENT', 'INVALID_API'].includes(code), `a valid request refused as invalid: ${what}`)
  } else {
    if (c.codes) assert.ok(c.codes.includes(code), `expected one of ${c.codes.join(', ')}: ${what}`)
    else assert.ok(INVALID_CODES.includes(code), `expected ${INVALID_CODES.join(' or ')}: ${what}`)
    assert.ok(before === after, `an invalid request changed the database: ${what}`)
  }
}

/* ----------------------------------------------------------------- tests */

let counter = 0
const fresh = (label: string) => `fz_${label}_${process.pid}_${++counter}`
const idChars = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/)

async function fuzz(api: IsvApiName, base: (t: TestConnector, templateId: string) => fc.Arbitrary<Body>): Promise<void> {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 1_000_000 } })
    await fc.assert(
      fc.asyncProperty(
        base(t, templateId).chain((body) => fc.oneof({ weight: 3, arbitrary: bodyMutation(api, body) }, { weight: 2, arbitrary: headerMutation(body, benefitApis[api].path) })),
        (c) => check(t, api, c),
      ),
      { numRuns: RUNS, includeErrorInReport: true },
    )
  })
}

test('fuzz notifyBenefitSync: never a 500 or an unsigned answer, no change from invalid requests', async () => {
  await fuzz('notifyBenefitSync', (t) => {
    const syncId = t.connector.context.sqlite.prepare('select sync_request_id as id from templates limit 1').get() as { id: string }
    return fc.record(
      {
        benefitSyncRequestId: fc.oneof(fc.constant(syncId.id), idChars.map((s) => `unknown_${s}`)),
        syncStatus: fc.constantFrom(...SYNC_STATUSES),
        syncFailCode: fc.constantFrom(...SYNC_FAIL_CODES),
        syncFailReason: fc.string({ minLength: 1, maxLength: 40 }),
      },
      { requiredKeys: ['benefitSyncRequestId', 'syncStatus'] },
    ).map((b) => (b.syncStatus === 'FAIL' && !b.syncFailCode ? { ...b, syncFailCode: 'AUDIT_FAIL' } : b))
  })
})

test('fuzz issueBenefit: never a 500 or an unsigned answer, no change from invalid requests', async () => {
  await fuzz('issueBenefit', (_t, templateId) =>
    fc.record(
      { userId: idChars, quantity: fc.integer({ min: 1, max: 3 }), clientCode: fc.constant('ALIPAY_HK') },
      { requiredKeys: ['userId', 'quantity'] },
    ).map((b) => ({ benefitIssueRequestId: fresh('iss'), ...b, benefitTemplateId: templateId })),
  )
})

test('fuzz reverseBenefitIssue: never a 500 or an unsigned answer, no change from invalid requests', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t, { benefitBudget: { totalQuantity: 1_000_000 } })
    // Issuings to reverse (each case takes its own), and ids never seen.
    const issued: Array<{ id: string; userId: string; quantity: number }> = []
    for (let i = 0; i < RUNS; i++) {
      const id = fresh('rev')
      await issue(t, { benefitIssueRequestId: id, userId: `u${i}`, benefitTemplateId: templateId, quantity: 1 + (i % 2) })
      issued.push({ id, userId: `u${i}`, quantity: 1 + (i % 2) })
    }
    let next = 0
    const base = fc.record({ withUser: fc.boolean(), withTemplate: fc.boolean(), withQuantity: fc.boolean(), unknown: fc.boolean() }).map((o) => {
      const target = o.unknown ? { id: fresh('never'), userId: 'nobody', quantity: 1 } : issued[next++ % issued.length]!
      const body: Body = { benefitIssueRequestId: target.id }
      if (o.withUser) body.userId = target.userId
      if (o.withTemplate) body.benefitTemplateId = templateId
      if (o.withQuantity) body.quantity = target.quantity
      return body
    })
    await fc.assert(
      fc.asyncProperty(base.chain((body) => fc.oneof({ weight: 3, arbitrary: bodyMutation('reverseBenefitIssue', body) }, { weight: 2, arbitrary: headerMutation(body, benefitApis.reverseBenefitIssue.path) })), (c) =>
        check(t, 'reverseBenefitIssue', c),
      ),
      { numRuns: RUNS, includeErrorInReport: true },
    )
  })
})

test('fuzz inquireBenefitIssue: never a 500 or an unsigned answer, no change from any request', async () => {
  await withConnector(async (t) => {
    const templateId = await syncedTemplate(t)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const id = fresh('inq')
      await issue(t, { benefitIssueRequestId: id, userId: `q${i}`, benefitTemplateId: templateId })
      ids.push(id)
    }
    const base = fc.oneof(fc.constantFrom(...ids), idChars.map((s) => `unknown_${s}`)).map((id) => ({ benefitIssueRequestId: id }))
    await fc.assert(
      fc.asyncProperty(base.chain((body) => fc.oneof(bodyMutation('inquireBenefitIssue', body), headerMutation(body, benefitApis.inquireBenefitIssue.path))), async (c) => {
        const before = snapshot(t)
        await check(t, 'inquireBenefitIssue', c)
        // An inquiry changes nothing, valid or not.
        assert.ok(snapshot(t) === before, `inquireBenefitIssue / ${c.label} changed the database`)
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    )
  })
})

test('fuzz: case count', () => {
  const codes = [...answered].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ')
  console.log(`fuzz: ${cases} cases of the platform's four calls (${validCases} still valid after mutation, ${cases - validCases} invalid); answers: ${codes}`)
  assert.ok(cases >= 4 * RUNS, `${cases} cases ran`)
})

test.run()
