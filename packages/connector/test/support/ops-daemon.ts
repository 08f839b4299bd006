import type { ChildProcess } from 'node:child_process'
import { Connector, createLogger, type Config, type ConfigInput } from '@benefitkit/connector'
import { testConfig, type TestConnector } from './connector.js'
import { testKeys } from './keys.js'
import { spawnCli, waitForOutput } from './ops-cli.js'
import { join } from 'node:path'

/**
 * A `benefitkit serve` child process on a prepared database, for tests that
 * signal it: `prepare` runs against the database in-process first (worker
 * stopped), then the daemon starts on the same file.
 */
export interface Daemon {
  child: ChildProcess
  url: string
  config: Config
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
}

export function daemonEnv(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BENEFITKIT_DB: config.db,
    BENEFITKIT_DB_SYNCHRONOUS: config.dbSynchronous,
    BENEFITKIT_PORT: '0',
    BENEFITKIT_CLIENT_ID: config.clientId,
    BENEFITKIT_PRIVATE_KEY: testKeys().isv.privateKeyBase64,
    BENEFITKIT_PLATFORM_PUBLIC_KEY: testKeys().platform.publicKeyBase64,
    BENEFITKIT_PLATFORM_URL: config.platformUrl,
    BENEFITKIT_LOG_LEVEL: 'info',
    ...extra,
  }
}

export async function startDaemon(
  overrides: Partial<ConfigInput>,
  prepare: (t: TestConnector) => Promise<void>,
  extraEnv: Record<string, string> = {},
): Promise<Daemon> {
  const config = testConfig(overrides)
  const connector = await Connector.create(config, { logger: createLogger('silent') })
  const { url: localUrl } = await connector.start()
  await connector.worker.stop()
  await prepare({ connector, url: localUrl, config, dir: join(config.db, '..'), stop: async () => {} })
  await connector.stop()

  const child = spawnCli(['serve'], { env: daemonEnv(config, extraEnv) })
  let out = ''
  let err = ''
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')))
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  )
  const [, url] = await waitForOutput(child, /listening on (http:\/\/[\d.]+:\d+)/)
  return { child, url: url!, config, stdout: () => out, stderr: () => err, exited }
}
