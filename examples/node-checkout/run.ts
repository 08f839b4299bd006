/**
 * Pays an order with a voucher code from the command line, as the checkout
 * server would:
 *
 *   BENEFITKIT_URL=http://127.0.0.1:8600 BENEFITKIT_API_KEY=bk_… \
 *     node --conditions=source --import tsx examples/node-checkout/run.ts --code CODE --order ORDER [--user U] [--pin P] [--json]
 *
 * Exit codes: 0 redeemed (or already redeemed by this same order), 1 refused or
 * failed (the message says why), 2 usage error.
 */
import { parseArgs } from 'node:util'
import { createCheckout, formatMoney } from './checkout.js'

const USAGE = `usage: run.ts --code CODE --order ORDER [--user USER] [--pin PIN] [--json]
environment: BENEFITKIT_URL (the connector), BENEFITKIT_API_KEY (from \`benefitkit apikeys create\`)
`

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`)
  process.exit(2)
}

let values: { code?: string; order?: string; user?: string; pin?: string; json?: boolean }
try {
  ;({ values } = parseArgs({
    options: {
      code: { type: 'string' },
      order: { type: 'string' },
      user: { type: 'string' },
      pin: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  }))
} catch (error) {
  usage((error as Error).message)
}
const baseUrl = process.env.BENEFITKIT_URL
const apiKey = process.env.BENEFITKIT_API_KEY
if (!values.code || !values.order) usage('--code and --order are required')
if (!baseUrl || !apiKey) usage('set BENEFITKIT_URL and BENEFITKIT_API_KEY')

const checkout = createCheckout({ baseUrl, apiKey })
const result = await checkout.pay({
  orderId: values.order,
  benefitCode: values.code,
  ...(values.user ? { userId: values.user } : {}),
  ...(values.pin ? { benefitPin: values.pin } : {}),
})

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`)
} else if (result.ok) {
  const discount = result.discount ? formatMoney(result.discount) : 'no fixed amount'
  process.stdout.write(
    `${result.replayed ? 'already redeemed for this order' : 'redeemed'}: ${result.redemption.redemptionId} — ${discount} off order ${values.order} ` +
      `(voucher ${result.instance.benefitInstanceId}, now ${result.instance.status})\n`,
  )
} else {
  process.stdout.write(
    `not redeemed: ${result.message} [${result.code}${result.requestId ? `, request ${result.requestId}` : ''}]` +
      `${result.retryable ? '\nThe outcome is unknown: run the same command again (same order), it cannot redeem twice.' : ''}\n`,
  )
}
process.exit(result.ok ? 0 : 1)
