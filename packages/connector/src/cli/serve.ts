import { defineCommand } from 'citty'
import { benefitApis } from '@benefitkit/shared'
import { loadPrivateKey, loadPublicKey } from '@benefitkit/shared/signing'
import { Connector } from '../app.js'
import type { Config } from '../config.js'
import { REDEMPTION_PATHS } from '../redemption/router.js'
import { CliFailure, configArgs, configFrom } from './common.js'
import { installShutdown } from './shutdown.js'

/** The four calls the platform makes to us; their URLs are registered at onboarding. */
const ISV_APIS = ['issueBenefit', 'reverseBenefitIssue', 'inquireBenefitIssue', 'notifyBenefitSync'] as const

export default defineCommand({
  meta: { name: 'serve', description: 'Run the connector daemon (SIGTERM or Ctrl-C stops it cleanly)' },
  args: { config: configArgs.config },
  async run({ args }) {
    const config = configFrom(args)
    checkKeys(config)
    const connector = await Connector.create(config)
    const { logger } = connector.context
    // Installed before listening, so a signal during start-up still closes cleanly.
    installShutdown({ close: () => connector.stop(), logger, deadlineMs: config.shutdownTimeoutMs })
    let url: string
    try {
      ;({ url } = await connector.start())
    } catch (error) {
      await connector.stop()
      throw startFailure(error, config)
    }
    if (!isLoopback(config.host)) {
      logger.warn({ host: config.host }, 'listening beyond loopback: put TLS and a firewall in front of the connector')
    }
    process.stdout.write(
      [
        `benefitkit connector listening on ${url}`,
        `  platform calls: ${ISV_APIS.map((api) => `${url}${config.isvPathPrefix}${benefitApis[api].path}`).join(', ')}`,
        `  redemption API: ${Object.values(REDEMPTION_PATHS).map((path) => `${url}${path}`).join(', ')}`,
        `  admin API:      ${config.adminToken ? `${url}/admin/v1 (Bearer BENEFITKIT_ADMIN_TOKEN)` : 'off (set BENEFITKIT_ADMIN_TOKEN to enable)'}`,
        `  metrics:        ${config.metricsPublic ? `${url}/metrics` : config.adminToken ? `${url}/metrics (Bearer BENEFITKIT_ADMIN_TOKEN)` : 'off (set BENEFITKIT_METRICS=1 or BENEFITKIT_ADMIN_TOKEN)'}`,
        `  health:         ${url}/healthz, ${url}/readyz`,
        '',
      ].join('\n'),
    )
  },
})

/** Every key problem at once, naming the variable, before anything opens. */
function checkKeys(config: Config): void {
  const problems: string[] = []
  try {
    loadPrivateKey(config.privateKey)
  } catch (error) {
    problems.push(`BENEFITKIT_PRIVATE_KEY: ${(error as Error).message}`)
  }
  for (const [version, key] of Object.entries(config.platformPublicKeys)) {
    try {
      loadPublicKey(key)
    } catch (error) {
      problems.push(`platform public key (keyVersion ${version}): ${(error as Error).message}`)
    }
  }
  if (problems.length) throw new CliFailure(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
}

function startFailure(error: unknown, config: Config): Error {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') return new CliFailure(`${config.host}:${config.port} is in use: stop the other process or set BENEFITKIT_PORT`)
  if (code === 'EACCES') return new CliFailure(`not allowed to listen on ${config.host}:${config.port}: use a port above 1023 (BENEFITKIT_PORT)`)
  if (code === 'EADDRNOTAVAIL') return new CliFailure(`${config.host} is not an address of this machine (BENEFITKIT_HOST)`)
  return error as Error
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}
