/**
 * The platform stub in its own process (benchmarks, the soak test):
 *
 *   STUB_ISV_PUBLIC_KEY=<base64> STUB_PLATFORM_PRIVATE_KEY=<base64> [STUB_CLIENT_ID=…] [STUB_PORT=0] \
 *   [STUB_FAULTS='[{"fault":{"kind":"http","status":500},"probability":0.1}]'] \
 *   node --conditions=source --import tsx packages/connector/test/support/platform-stub-main.ts
 *
 * Prints `ready <url>` on stdout once listening. Control it over HTTP:
 * `GET <url>/__stub/stats`, `POST <url>/__stub/faults`, `POST <url>/__stub/reset`.
 * Without keys in the environment it uses the test keys of this process, which
 * only a caller in the same process knows: pass keys for real use.
 */
import { loadPrivateKey, loadPublicKey, PublicKeyring } from '@benefitkit/shared/signing'
import { TEST_CLIENT_ID } from './connector.js'
import { startPlatformStub, type FaultRule } from './platform-stub.js'

const env = process.env
const stub = await startPlatformStub({
  clientId: env.STUB_CLIENT_ID ?? TEST_CLIENT_ID,
  port: Number(env.STUB_PORT ?? 0),
  ...(env.STUB_ISV_PUBLIC_KEY && env.STUB_PLATFORM_PRIVATE_KEY
    ? {
        isvKeyring: new PublicKeyring([[env.STUB_ISV_KEY_VERSION ?? '1', loadPublicKey(env.STUB_ISV_PUBLIC_KEY)]]),
        signing: { keyVersion: env.STUB_PLATFORM_KEY_VERSION ?? '1', privateKey: loadPrivateKey(env.STUB_PLATFORM_PRIVATE_KEY) },
      }
    : {}),
})
for (const { fault, ...rule } of JSON.parse(env.STUB_FAULTS ?? '[]') as FaultRule[]) stub.inject(fault, rule)
process.stdout.write(`ready ${stub.url}\n`)
const stop = () => stub.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
