import { defineCommand } from 'citty'
import { Connector } from '../app.js'
import { configArgs, configFrom } from './common.js'
import { installShutdown } from './shutdown.js'

export default defineCommand({
  meta: { name: 'serve', description: 'Run the connector daemon' },
  args: { config: configArgs.config },
  async run({ args }) {
    const config = configFrom(args)
    const connector = await Connector.create(config)
    const { url } = await connector.start()
    process.stdout.write(`benefitkit connector listening on ${url}\n`)
    installShutdown(() => connector.stop(), connector.context.logger)
  },
})
