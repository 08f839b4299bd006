import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connector, createLogger, loadConfig, type Config, type ConfigInput, type ConnectorOptions } from '@benefitkit/connector'
import { testKeys } from './keys.js'

export const TEST_CLIENT_ID = 'TEST_CLIENT_0001'

export interface TestConnector {
  connector: Connector
  url: string
  config: Config
  dir: string
  stop(): Promise<void>
}

/** A config for tests: a fresh SQLite file in a temp folder, test keys, no logs. */
export function testConfig(overrides: Partial<ConfigInput> = {}): Config {
  const keys = testKeys()
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-test-'))
  return loadConfig({
    env: {},
    overrides: {
      host: '127.0.0.1',
      port: 0,
      db: join(dir, 'benefitkit.db'),
      dbSynchronous: 'NORMAL',
      clientId: TEST_CLIENT_ID,
      privateKey: keys.isv.privateKeyBase64,
      platformUrl: 'http://127.0.0.1:9',
      platformPublicKeys: { '1': keys.platform.publicKeyBase64 },
      logLevel: 'silent',
      ...overrides,
    },
  })
}

/** Starts a real connector on a free loopback port with a real SQLite file. */
export async function startTestConnector(
  overrides: Partial<ConfigInput> = {},
  options: Omit<ConnectorOptions, 'logger'> = {},
): Promise<TestConnector> {
  const config = testConfig(overrides)
  const connector = await Connector.create(config, { logger: createLogger('silent'), ...options })
  const { url } = await connector.start()
  const dir = join(config.db, '..')
  return {
    connector,
    url,
    config,
    dir,
    async stop() {
      await connector.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
