/** Error classes, the cross-realm guard, and idempotency keys without crypto.randomUUID. */
import { runInNewContext } from 'node:vm'
import { build } from 'esbuild'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  ApiError,
  BenefitKitError,
  createIdempotencyKey,
  isBenefitKitError,
  isTransportError,
  NetworkError,
  REDEMPTION_ERROR_STATUS,
  TimeoutError,
  TransportError,
} from '../src/index.js'
import { REDEMPTION_ERROR_STATUS as CONTRACT_ERROR_STATUS } from '@benefitkit/shared'

test('subclasses share the base, keep their names, and quote the requestId in the message', () => {
  const cause = new Error('socket hang up')
  const api = new ApiError('already used', { code: 'BENEFIT_ALREADY_USED', status: 409, requestId: 'req_9' })
  const net = new NetworkError('reset', { code: 'NETWORK_ERROR', cause, retryable: true })
  const slow = new TimeoutError('slow', { code: 'TIMEOUT', retryable: true })
  for (const error of [api, net, slow]) {
    assert.instance(error, BenefitKitError)
    assert.instance(error, Error)
    assert.ok(isBenefitKitError(error))
  }
  assert.is(api.name, 'ApiError')
  assert.is(net.name, 'NetworkError')
  assert.is(slow.name, 'TimeoutError')
  assert.is(api.message, 'already used (requestId: req_9)')
  assert.is(api.requestId, 'req_9')
  assert.is(api.retryable, false)
  assert.is(net.cause, cause)
  assert.is(net.retryable, true)
  assert.is(slow.status, undefined)
  assert.not.instance(net, ApiError)
})

test('isBenefitKitError rejects look-alikes and foreign errors', () => {
  assert.not.ok(isBenefitKitError(new Error('x')))
  assert.not.ok(isBenefitKitError({ code: 'TIMEOUT' }))
  assert.not.ok(isBenefitKitError(null))
  assert.not.ok(isBenefitKitError('ApiError'))
  assert.not.ok(isBenefitKitError(new TransportError('network', 'x')))
})

test('isBenefitKitError works across realms where instanceof does not', async () => {
  // A second copy of the SDK's errors, compiled and evaluated in another V8 context.
  const bundle = await build({
    entryPoints: [new URL('../src/errors.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
  })
  const sandbox = { module: { exports: {} as Record<string, unknown> } }
  runInNewContext(`(function (module, exports) {${bundle.outputFiles[0]!.text}\n})(module, module.exports)`, sandbox)
  const Foreign = sandbox.module.exports.ApiError as typeof ApiError
  const foreign = new Foreign('used', { code: 'BENEFIT_ALREADY_USED', status: 409 })

  assert.not.ok(foreign instanceof ApiError)
  assert.not.ok(foreign instanceof Error) // another realm's Error
  assert.ok(isBenefitKitError(foreign))
  assert.is(foreign.code, 'BENEFIT_ALREADY_USED')
})

test('isTransportError is structural, so a transport bundled separately is still recognised', () => {
  assert.ok(isTransportError(new TransportError('timeout', 'x')))
  assert.ok(isTransportError({ name: 'TransportError', kind: 'network', message: 'copy from another bundle' }))
  assert.not.ok(isTransportError({ name: 'TransportError', kind: 'weird' }))
  assert.not.ok(isTransportError(new Error('network')))
})

test('TransportError: network and timeout are retryable by default, aborted is not', () => {
  assert.is(new TransportError('network', 'x').retryable, true)
  assert.is(new TransportError('timeout', 'x').retryable, true)
  assert.is(new TransportError('aborted', 'x').retryable, false)
  assert.is(new TransportError('network', 'x', { retryable: false }).retryable, false)
})

test('the error code table matches the contract the connector serves', () => {
  // The SDK keeps its own copy so its bundle needs no zod; this keeps the copy honest.
  assert.equal(REDEMPTION_ERROR_STATUS, CONTRACT_ERROR_STATUS)
})

const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('idempotency keys are v4 UUIDs from getRandomValues, within the contract alphabet', () => {
  const keys = new Set<string>()
  for (let i = 0; i < 200; i++) keys.add(createIdempotencyKey())
  assert.is(keys.size, 200)
  for (const key of keys) {
    assert.match(key, KEY)
    assert.match(key, /^[A-Za-z0-9_.:-]{8,255}$/)
  }
  let used = 0
  const counting = {
    getRandomValues: (a: Uint8Array) => {
      used++
      return crypto.getRandomValues(a)
    },
  }
  createIdempotencyKey(counting)
  assert.is(used, 1)
})

test('without WebCrypto (a mini program) keys fall back to Math.random and stay unique', () => {
  const original = Math.random
  let calls = 0
  Math.random = () => (calls++, original())
  try {
    const keys = new Set<string>()
    for (let i = 0; i < 200; i++) keys.add(createIdempotencyKey({}))
    assert.is(keys.size, 200)
    for (const key of keys) assert.match(key, KEY)
    assert.ok(calls >= 200 * 16)
  } finally {
    Math.random = original
  }
})

test.run()
