/**
 * A connector in its own process, for crash tests: configured from BENEFITKIT_*
 * variables like the real daemon, with outbox worker options as JSON in
 * BENEFITKIT_TEST_OUTBOX. Prints `ready <url>` once it listens; SIGTERM stops
 * it cleanly, SIGKILL is what the tests send.
 *
 *   node --conditions=source --import tsx packages/connector/test/support/outbox-child.ts
 */
import { Connector, createLogger, loadConfig } from '@benefitkit/connector'

const config = loadConfig()
const outbox = process.env.BENEFITKIT_TEST_OUTBOX ? JSON.parse(process.env.BENEFITKIT_TEST_OUTBOX) : {}
const connector = await Connector.create(config, { logger: createLogger(config.logLevel, process.stderr), outbox })
const { url } = await connector.start()
process.stdout.write(`ready ${url}\n`)
process.on('SIGTERM', () => {
  connector.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
