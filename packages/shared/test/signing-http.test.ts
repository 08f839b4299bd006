import { readFileSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { classifyAnswer, formatProtocolTime } from '@benefitkit/shared'
import {
  buildSignContent,
  formatSignatureHeader,
  generateRsaKeyPair,
  headerValue,
  loadPrivateKey,
  loadPublicKey,
  parseSignatureHeader,
  PublicKeyring,
  SignatureHeaderError,
  signContent,
  signRequest,
  signResponse,
  verifyRequest,
  verifyResponse,
  type SigningKey,
} from '@benefitkit/shared/signing'

const vectors = JSON.parse(readFileSync(new URL('./fixtures/signature-vectors.json', import.meta.url), 'utf8')) as {
  keys: { privateKeyPkcs8Base64: string; publicKeySpkiBase64: string }
  sign: Array<{ name: string; kind: string; method: string; path: string; clientId: string; time: string; body: string; signature: string }>
}

// Real RSA-2048 pairs, generated once for the whole file (not in a hook: uvu skips a suite silently when a hook throws).
const pairs = [generateRsaKeyPair(), generateRsaKeyPair(), generateRsaKeyPair()] as const
const v1: SigningKey = { keyVersion: '1', privateKey: loadPrivateKey(pairs[0].privateKeyBase64) }
const v2: SigningKey = { keyVersion: '2', privateKey: loadPrivateKey(pairs[1].privateKeyPem) }
const v3: SigningKey = { keyVersion: '3', privateKey: loadPrivateKey(pairs[2].privateKeyBase64) }
/** The platform's keys during a rotation: versions 1 and 2 both active. */
const rotating = new PublicKeyring([
  ['1', loadPublicKey(pairs[0].publicKeyBase64)],
  ['2', loadPublicKey(pairs[1].publicKeyBase64)],
])

const CLIENT_ID = 'SANDBOX_5YB1234567890'
const ISSUE_PATH = '/isv/benefit/issue'
const ISSUE_BODY = '{"benefitIssueRequestId":"issue-20261124-0001","userId":"2160120000000000","benefitTemplateId":"tpl-coffee-10","quantity":1}'

/* ------------------------------------------------------------ the header */

const header = suite('Signature header')

header('formatSignatureHeader writes the strict form', () => {
  assert.is(formatSignatureHeader({ keyVersion: 1, signature: 'AbC%2B%2F%3D' }), 'algorithm=RSA256,keyVersion=1,signature=AbC%2B%2F%3D')
  assert.is(formatSignatureHeader({ keyVersion: '2', signature: 'x' }), 'algorithm=RSA256,keyVersion=2,signature=x')
})

header('parse(format(x)) gives x back', () => {
  const parsed = parseSignatureHeader(formatSignatureHeader({ keyVersion: 7, signature: 'AbC%2B%2F%3D' }))
  assert.equal(parsed, { algorithm: 'RSA256', keyVersion: '7', signature: 'AbC%2B%2F%3D' })
})

const LENIENT: Array<[string, string, { keyVersion: string; signature: string }]> = [
  ['spaces around parts and =', ' algorithm = RSA256 ,  keyVersion = 2 , signature = abc%3D%3D ', { keyVersion: '2', signature: 'abc%3D%3D' }],
  ['upper-case parameter names', 'ALGORITHM=RSA256,KEYVERSION=3,SIGNATURE=abc', { keyVersion: '3', signature: 'abc' }],
  ['mixed-case parameter names', 'Algorithm=RSA256,KeyVersion=4,Signature=abc', { keyVersion: '4', signature: 'abc' }],
  ['lower-case rsa256', 'algorithm=rsa256,keyVersion=1,signature=abc', { keyVersion: '1', signature: 'abc' }],
  ['missing keyVersion → 1', 'algorithm=RSA256,signature=abc', { keyVersion: '1', signature: 'abc' }],
  ['empty keyVersion → 1', 'algorithm=RSA256,keyVersion=,signature=abc', { keyVersion: '1', signature: 'abc' }],
  ['raw base64 with = padding kept', 'algorithm=RSA256,keyVersion=1,signature=ab+/cd==', { keyVersion: '1', signature: 'ab+/cd==' }],
  ['another order', 'signature=abc=,keyVersion=9,algorithm=RSA256', { keyVersion: '9', signature: 'abc=' }],
  ['a trailing comma', 'algorithm=RSA256,keyVersion=1,signature=abc,', { keyVersion: '1', signature: 'abc' }],
  ['an unknown extra parameter', 'algorithm=RSA256,keyVersion=1,signature=abc,charset=UTF-8', { keyVersion: '1', signature: 'abc' }],
]

for (const [what, text, expected] of LENIENT) {
  header(`parseSignatureHeader is lenient: ${what}`, () => {
    assert.equal(parseSignatureHeader(text), { algorithm: 'RSA256', ...expected })
  })
}

const REJECTED: Array<[string, string | undefined, RegExp]> = [
  ['undefined', undefined, /Signature header is missing/],
  ['empty', '', /Signature header is missing/],
  ['blank', '   ', /Signature header is missing/],
  ['no algorithm', 'keyVersion=1,signature=abc', /no algorithm \(expected algorithm=RSA256\)/],
  ['another algorithm', 'algorithm=RSA2048,keyVersion=1,signature=abc', /RSA2048 is not supported \(only RSA256\)/],
  ['HMAC', 'algorithm=HmacSHA256,signature=abc', /HmacSHA256 is not supported/],
  ['an empty algorithm', 'algorithm=,signature=abc', /not supported/],
  ['no signature', 'algorithm=RSA256,keyVersion=1', /no signature value/],
  ['an empty signature', 'algorithm=RSA256,keyVersion=1,signature=', /no signature value/],
  ['a bare signature value', 'abc%3D', /not name=value/],
  ['a part without a name', 'algorithm=RSA256,=abc', /not name=value/],
]

for (const [what, text, message] of REJECTED) {
  header(`parseSignatureHeader refuses ${what} with a clear message`, () => {
    try {
      parseSignatureHeader(text)
      assert.unreachable('should have thrown')
    } catch (error) {
      assert.instance(error, SignatureHeaderError)
      assert.match((error as Error).message, message)
    }
  })
}

/* -------------------------------------------------------------- headerValue */

const headers = suite('headerValue')

headers('plain objects: any case of the name', () => {
  assert.is(headerValue({ 'client-id': 'a' }, 'Client-Id'), 'a')
  assert.is(headerValue({ 'Client-Id': 'b' }, 'client-id'), 'b')
  assert.is(headerValue({ 'CLIENT-ID': 'c' }, 'Client-Id'), 'c')
  assert.is(headerValue({ 'cLiEnT-iD': 'd' }, 'CLIENT-ID'), 'd')
  assert.is(headerValue({ signature: ['first', 'second'] }, 'Signature'), 'first')
  assert.is(headerValue({ 'client-id': undefined }, 'Client-Id'), undefined)
  assert.is(headerValue({}, 'Client-Id'), undefined)
  assert.is(headerValue({ 'client-idx': 'no' }, 'Client-Id'), undefined)
})

headers('fetch Headers: any case of the name, undefined (not null) when absent', () => {
  const h = new Headers({ 'Client-Id': 'x', 'request-time': '2026-11-24T08:00:00.000+08:00' })
  assert.is(headerValue(h, 'client-id'), 'x')
  assert.is(headerValue(h, 'CLIENT-ID'), 'x')
  assert.is(headerValue(h, 'Request-Time'), '2026-11-24T08:00:00.000+08:00')
  assert.is(headerValue(h, 'Signature'), undefined)
})

/* ------------------------------------------------------------------ keyring */

const keyring = suite('PublicKeyring')

function signedHeader(key: SigningKey, content: Uint8Array): string {
  return formatSignatureHeader({ keyVersion: key.keyVersion, signature: signContent(content, key.privateKey) })
}

const content = buildSignContent({ method: 'POST', path: ISSUE_PATH, clientId: CLIENT_ID, time: '2026-11-24T08:00:00.000+08:00', body: ISSUE_BODY })

keyring('rotation: requests signed by v1 and by v2 both verify, each with its own key', () => {
  assert.equal(rotating.versions, ['1', '2'])
  assert.equal(rotating.verify(content, signedHeader(v1, content)), { ok: true, keyVersion: '1' })
  assert.equal(rotating.verify(content, signedHeader(v2, content)), { ok: true, keyVersion: '2' })
})

keyring('v3 is KEY_NOT_FOUND', () => {
  const result = rotating.verify(content, signedHeader(v3, content))
  assert.is(result.ok, false)
  if (!result.ok) {
    assert.is(result.code, 'KEY_NOT_FOUND')
    assert.match(result.message, /keyVersion 3/)
  }
})

keyring('a tampered body is INVALID_SIGNATURE', () => {
  const tampered = buildSignContent({ method: 'POST', path: ISSUE_PATH, clientId: CLIENT_ID, time: '2026-11-24T08:00:00.000+08:00', body: ISSUE_BODY.replace('"quantity":1', '"quantity":9') })
  const result = rotating.verify(tampered, signedHeader(v1, content))
  assert.equal(result, { ok: false, code: 'INVALID_SIGNATURE', message: 'signature does not match the request' })
})

keyring('a signature made with one version but labelled as the other is INVALID_SIGNATURE', () => {
  const mislabelled = formatSignatureHeader({ keyVersion: '1', signature: signContent(content, v2.privateKey) })
  const result = rotating.verify(content, mislabelled)
  assert.is(result.ok, false)
  if (!result.ok) assert.is(result.code, 'INVALID_SIGNATURE')
})

keyring('a missing or unparsable header is INVALID_SIGNATURE, not an exception', () => {
  for (const bad of [undefined, '', 'algorithm=HmacSHA256,signature=x', 'algorithm=RSA256,keyVersion=1,signature=%%%']) {
    const result = rotating.verify(content, bad)
    assert.is(result.ok, false, String(bad))
    if (!result.ok) assert.is(result.code, 'INVALID_SIGNATURE', String(bad))
  }
})

keyring('accepts the signature URL-encoded, raw, or raw with + turned into spaces by a form decoder', () => {
  const v = vectors.sign.find((s) => s.signature.includes('%2B'))!
  const ring = new PublicKeyring({ 1: loadPublicKey(vectors.keys.publicKeySpkiBase64) })
  const vectorContent = buildSignContent(v)
  const raw = decodeURIComponent(v.signature)
  for (const signature of [v.signature, raw, raw.replace(/\+/g, ' '), v.signature.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())]) {
    assert.equal(ring.verify(vectorContent, `algorithm=RSA256,keyVersion=1,signature=${signature}`), { ok: true, keyVersion: '1' }, signature.slice(0, 12))
  }
})

keyring('built from a Map, entries with numeric versions, or a record; never empty', () => {
  const pub = loadPublicKey(pairs[0].publicKeyBase64)
  assert.equal(new PublicKeyring(new Map([['1', pub]])).versions, ['1'])
  assert.equal(new PublicKeyring([[1, pub], [2, pub]]).versions, ['1', '2'])
  assert.equal(new PublicKeyring({ 5: pub }).versions, ['5'])
  assert.ok(new PublicKeyring({ 5: pub }).get('5'))
  assert.is(new PublicKeyring({ 5: pub }).get('6'), undefined)
  assert.throws(() => new PublicKeyring([]), /at least one public key/)
  assert.throws(() => new PublicKeyring({}), /at least one public key/)
})

keyring('engines interoperate: node-rsa verifies node-crypto signatures and the reverse', () => {
  const rsaRing = new PublicKeyring({ 1: loadPublicKey(pairs[0].publicKeyBase64, { engine: 'node-rsa' }) })
  assert.ok(rsaRing.verify(content, signedHeader(v1, content)).ok)
  const rsaSigner: SigningKey = { keyVersion: '1', privateKey: loadPrivateKey(pairs[0].privateKeyBase64, { engine: 'node-rsa' }) }
  assert.ok(rotating.verify(content, signedHeader(rsaSigner, content)).ok)
  assert.not.ok(rsaRing.verify(content, signedHeader(v2, content)).ok)
})

/* ----------------------------------------------------------------- requests */

const requests = suite('signRequest / verifyRequest')

const NOW = Date.UTC(2026, 10, 24, 0, 0, 0)
const FRESH = formatProtocolTime(NOW, 480)

function verify(headersIn: Record<string, string> | Headers, body: string | Uint8Array = ISSUE_BODY, now = NOW) {
  return verifyRequest({ method: 'POST', path: ISSUE_PATH, headers: headersIn, body, keyring: rotating, expectedClientId: CLIENT_ID, now })
}

requests('signRequest writes Client-Id, Request-Time, Content-Type and a strict Signature header', () => {
  const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key: v2, time: FRESH })
  assert.is(h['Client-Id'], CLIENT_ID)
  assert.is(h['Request-Time'], FRESH)
  assert.is(h['Content-Type'], 'application/json; charset=UTF-8')
  // URL-encoded base64: no raw + / = in the header.
  assert.match(h.Signature, /^algorithm=RSA256,keyVersion=2,signature=[A-Za-z0-9%]+$/)
  assert.ok(h.Signature.endsWith('%3D%3D')) // 256 bytes of RSA-2048 signature: two = of padding
})

requests('signRequest without a time stamps now, and that verifies', () => {
  const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key: v1 })
  assert.match(h['Request-Time']!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/)
  assert.equal(verify(h, ISSUE_BODY, Date.now()), { ok: true, clientId: CLIENT_ID, keyVersion: '1', time: h['Request-Time'] })
})

requests('signRequest reproduces the independent vector byte for byte', () => {
  const v = vectors.sign.find((s) => s.kind === 'request')!
  const key: SigningKey = { keyVersion: '1', privateKey: loadPrivateKey(vectors.keys.privateKeyPkcs8Base64) }
  const h = signRequest({ method: v.method, path: v.path, clientId: v.clientId, body: v.body, key, time: v.time })
  assert.is(h.Signature, `algorithm=RSA256,keyVersion=1,signature=${v.signature}`)
})

requests('round trip with real keys, for both active versions', () => {
  for (const key of [v1, v2]) {
    const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key, time: FRESH })
    assert.equal(verify(h), { ok: true, clientId: CLIENT_ID, keyVersion: key.keyVersion, time: FRESH })
  }
})

requests('round trip over raw bytes that are not valid UTF-8', () => {
  const body = Buffer.concat([Buffer.from('{"note":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80, 0xed, 0xa0, 0x80]), Buffer.from('"}')])
  assert.is.not(Buffer.from(body.toString('utf8'), 'utf8').length, body.length) // a string round trip loses bytes
  const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body, key: v1, time: FRESH })
  assert.ok(verify(h, body).ok)
  assert.ok(verify(h, new Uint8Array(body)).ok)
  // Re-decoding the bytes as text (what a JSON body parser would do) breaks the signature.
  const lossy = verify(h, body.toString('utf8'))
  assert.is(lossy.ok, false)
  if (!lossy.ok) assert.is(lossy.code, 'INVALID_SIGNATURE')
})

requests('a body signed as a string verifies as its UTF-8 bytes (CJK, emoji)', () => {
  const body = '{"benefitTitle":"咖啡券 ☕ café"}'
  const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body, key: v2, time: FRESH })
  assert.ok(verify(h, Buffer.from(body, 'utf8')).ok)
  assert.not.ok(verify(h, Buffer.from(body, 'latin1')).ok)
})

requests('headers as Node gives them (lower case) and as fetch Headers', () => {
  const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key: v1, time: FRESH })
  const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))
  assert.ok(verify(lower).ok)
  assert.ok(verify(new Headers(h)).ok)
})

function failure(result: ReturnType<typeof verify>): { code: string; message: string } {
  assert.is(result.ok, false, JSON.stringify(result))
  return result as { code: string; message: string }
}

requests('order 1: a missing Client-Id is PARAM_ILLEGAL (before anything else)', () => {
  const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key: v1, time: formatProtocolTime(NOW - 6 * 60_000, 480) })
  const { 'Client-Id': _omit, ...rest } = h
  const f = failure(verify({ ...rest, Signature: 'garbage' }))
  assert.is(f.code, 'PARAM_ILLEGAL')
  assert.match(f.message, /Client-Id/)
})

requests('order 2: a wrong Client-Id is INVALID_CLIENT (before freshness and signature)', () => {
  const stale = formatProtocolTime(NOW - 6 * 60_000, 480)
  const h = signRequest({ path: ISSUE_PATH, clientId: 'SOMEONE_ELSE', body: ISSUE_BODY, key: v1, time: stale })
  assert.is(failure(verify({ ...h, Signature: 'garbage' })).code, 'INVALID_CLIENT')
  assert.is(failure(verify(h)).code, 'INVALID_CLIENT')
})

requests('order 3: a stale Request-Time (6 min, either way) is PARAM_ILLEGAL, even when well signed', () => {
  for (const delta of [-6 * 60_000, 6 * 60_000]) {
    const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key: v1, time: formatProtocolTime(NOW + delta, 480) })
    const f = failure(verify(h))
    assert.is(f.code, 'PARAM_ILLEGAL')
    assert.match(f.message, /360 s away/)
    assert.is(failure(verify({ ...h, Signature: 'garbage' })).code, 'PARAM_ILLEGAL')
  }
  const { 'Request-Time': _omit, ...noTime } = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key: v1, time: FRESH })
  assert.is(failure(verify(noTime)).code, 'PARAM_ILLEGAL')
})

requests('order 4: a bad signature is INVALID_SIGNATURE', () => {
  const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key: v1, time: FRESH })
  assert.is(failure(verify(h, ISSUE_BODY.replace('tpl-coffee-10', 'tpl-coffee-99'))).code, 'INVALID_SIGNATURE')
  assert.is(failure(verify({ ...h, 'Request-Time': formatProtocolTime(NOW + 1, 480) })).code, 'INVALID_SIGNATURE')
  const { Signature: _omit, ...unsigned } = h
  assert.is(failure(verify(unsigned)).code, 'INVALID_SIGNATURE')
  assert.is(failure(verify({ ...h, Signature: 'algorithm=RSA256,keyVersion=1,signature=AAAA' })).code, 'INVALID_SIGNATURE')
  // The path and the method are signed too.
  const other = verifyRequest({ method: 'POST', path: '/isv/benefit/reverse', headers: h, body: ISSUE_BODY, keyring: rotating, expectedClientId: CLIENT_ID, now: NOW })
  assert.is(failure(other).code, 'INVALID_SIGNATURE')
  const get = verifyRequest({ method: 'GET', path: ISSUE_PATH, headers: h, body: ISSUE_BODY, keyring: rotating, expectedClientId: CLIENT_ID, now: NOW })
  assert.is(failure(get).code, 'INVALID_SIGNATURE')
})

requests('an unknown key version is KEY_NOT_FOUND', () => {
  const h = signRequest({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ISSUE_BODY, key: v3, time: FRESH })
  assert.is(failure(verify(h)).code, 'KEY_NOT_FOUND')
})

/* ---------------------------------------------------------------- responses */

const responses = suite('signResponse / verifyResponse')

const ANSWER = '{"success":true,"resultCode":"SUCCESS","resultMessage":"success","benefitDetails":[]}'

function answerCheck(h: Record<string, string> | Headers, overrides: Partial<Parameters<typeof verifyResponse>[0]> = {}): boolean {
  return verifyResponse({ path: ISSUE_PATH, clientId: CLIENT_ID, headers: h, body: ANSWER, keyring: rotating, ...overrides })
}

responses('signResponse writes Client-Id, Response-Time and Signature; the answer verifies', () => {
  const h = signResponse({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ANSWER, key: v1, time: FRESH })
  assert.is(h['Client-Id'], CLIENT_ID)
  assert.is(h['Response-Time'], FRESH)
  assert.is(h['Request-Time'], undefined)
  assert.ok(answerCheck(h))
  assert.ok(answerCheck(new Headers(h)))
  assert.ok(answerCheck(h, { body: Buffer.from(ANSWER) }))
  assert.ok(answerCheck(signResponse({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ANSWER, key: v2 })))
})

responses('signResponse reproduces the independent response vector', () => {
  const v = vectors.sign.find((s) => s.kind === 'response')!
  const key: SigningKey = { keyVersion: '1', privateKey: loadPrivateKey(vectors.keys.privateKeyPkcs8Base64) }
  const h = signResponse({ method: v.method, path: v.path, clientId: v.clientId, body: v.body, key, time: v.time })
  assert.is(h.Signature, `algorithm=RSA256,keyVersion=1,signature=${v.signature}`)
  const ring = new PublicKeyring({ 1: loadPublicKey(vectors.keys.publicKeySpkiBase64) })
  assert.ok(verifyResponse({ path: v.path, clientId: v.clientId, headers: h, body: v.body, keyring: ring }))
})

responses('an answer is bound to its request: another path, Client-Id or method fails', () => {
  const h = signResponse({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ANSWER, key: v1, time: FRESH })
  assert.not.ok(answerCheck(h, { path: '/isv/benefit/query' }))
  assert.not.ok(answerCheck(h, { clientId: 'OTHER_CLIENT' }))
  assert.not.ok(answerCheck(h, { method: 'GET' }))
})

responses('a missing Response-Time fails, even with a Request-Time of the same value', () => {
  const { 'Response-Time': time, ...rest } = signResponse({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ANSWER, key: v1, time: FRESH })
  assert.not.ok(answerCheck(rest))
  assert.not.ok(answerCheck({ ...rest, 'Request-Time': time! }))
})

responses('a tampered, unsigned or unknown-key answer fails, and classifies as U', () => {
  const h = signResponse({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ANSWER, key: v1, time: FRESH })
  assert.not.ok(answerCheck(h, { body: ANSWER.replace('"success":true', '"success":false') }))
  const { Signature: _omit, ...unsigned } = h
  assert.not.ok(answerCheck(unsigned))
  assert.not.ok(answerCheck(signResponse({ path: ISSUE_PATH, clientId: CLIENT_ID, body: ANSWER, key: v3, time: FRESH })))
  const outcome = classifyAnswer({ httpStatus: 200, signatureValid: answerCheck(unsigned), body: JSON.parse(ANSWER) })
  assert.is(outcome.status, 'U')
  assert.is(classifyAnswer({ httpStatus: 200, signatureValid: answerCheck(h), body: JSON.parse(ANSWER) }).status, 'S')
})

header.run()
headers.run()
keyring.run()
requests.run()
responses.run()
