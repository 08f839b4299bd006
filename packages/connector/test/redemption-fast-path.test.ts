import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { seedInstance } from './support/seed-instances.js'
import { sharedRedemptionEnv } from './support/redemption-env.js'

const shared = sharedRedemptionEnv()
const test = suite('redemption: fast path and routers')
test.after(() => shared.stop())

test('an exact POST and the forms only the router matches give the same answer; other methods are not served', async () => {
  const env = await shared.get()
  const inst = await seedInstance(env.db)
  const exact = await env.post('/v1/benefits/lookup', { body: { benefitCode: inst.code } })
  assert.is(exact.status, 200, exact.text)
  for (const path of ['/v1/benefits/lookup/', '/V1/Benefits/Lookup']) {
    const viaRouter = await env.post(path, { body: { benefitCode: inst.code } })
    assert.is(viaRouter.status, 200, `${path}: ${viaRouter.text}`)
    assert.equal(viaRouter.json, exact.json, path)
  }
  const get = await fetch(`${env.url}/v1/benefits/lookup`)
  assert.ok(get.status === 404 || get.status === 405, `GET answered ${get.status}`)
})

test.run()
