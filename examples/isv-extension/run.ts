/**
 * The connector with the ISV's extensions, in one process: its own code pool
 * (code-generator.ts) and an audit hook on every syncUsedBenefit that reaches
 * the platform (used-benefit-hook.ts). Configured like `benefitkit serve`, from
 * BENEFITKIT_* variables (packages/connector/README.md).
 *
 *   BENEFITKIT_PLATFORM_URL=… BENEFITKIT_CLIENT_ID=… BENEFITKIT_PRIVATE_KEY_FILE=… \
 *   BENEFITKIT_PLATFORM_PUBLIC_KEY_FILE=… \
 *     node --conditions=source --import tsx examples/isv-extension/run.ts [--template ID] [--codes N]
 *
 * Prints for people on stdout (the connector's JSON log goes to stderr).
 * SIGINT / SIGTERM stop it cleanly (exit 0).
 */
import { parseArgs } from 'node:util'
import { ConfigError, Connector, createLogger, createTemplate, findTemplate, loadConfig } from '@benefitkit/connector'
import { pooledTemplate, voucherCodes } from './code-generator.js'
import { attachUsedBenefitHook } from './used-benefit-hook.js'

const { values } = parseArgs({
  options: { template: { type: 'string', default: 'spice-till-25' }, codes: { type: 'string', default: '20' } },
  strict: true,
})
const templateId = values.template!
const poolSize = Number(values.codes)
if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 100_000) {
  process.stderr.write('--codes must be a whole number from 1 to 100000\n')
  process.exit(2)
}

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}

const say = (line: string) => process.stdout.write(`${line}\n`)
const connector = await Connector.create(config, { logger: createLogger(config.logLevel, process.stderr) })

attachUsedBenefitHook(connector, {
  onDelivered: (audit) =>
    say(audit.valid ? `used-benefit hook: delivered ${audit.line}` : `used-benefit hook: INVALID body delivered: ${audit.problems}`),
  onUndelivered: (audit, event) =>
    say(`used-benefit hook: ${event.verdict.kind} after attempt ${event.attempts} (${event.outcome.code}) ${audit.valid ? audit.request.benefitUseRequestId : audit.problems}`),
})

const codes = voucherCodes({ prefix: 'SPICE' })
const existing = await findTemplate(connector.context.db, templateId)
if (existing) {
  say(`template ${templateId} exists (${existing.state})`)
} else {
  const pool = codes.generate(poolSize)
  const created = await createTemplate(
    connector.context,
    pooledTemplate({ templateId, title: 'HK$25 off at Spice Secret', value: '25', codes: pool, perUserLimit: 2 }),
  )
  say(`template ${templateId} created with ${created.codes} pool codes (e.g. ${pool[0]}); syncBenefit queued`)
}

let stopping = false
const stop = (signal: string) => {
  if (stopping) process.exit(1)
  stopping = true
  say(`${signal}: stopping`)
  connector.stop().then(
    () => {
      say('stopped')
      process.exit(0)
    },
    (error: unknown) => {
      process.stderr.write(`stop failed: ${(error as Error).message}\n`)
      process.exit(1)
    },
  )
}
process.on('SIGINT', () => stop('SIGINT'))
process.on('SIGTERM', () => stop('SIGTERM'))

const { url } = await connector.start()
say(`connector with extensions listening on ${url}`)
