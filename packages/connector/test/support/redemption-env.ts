import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Connector, createApiKey, createLogger, type ConfigInput, type Db } from '@benefitkit/connector'
import { testConfig } from './connector.js'
import { call, type CallOptions, type CallResult } from './redemption-client.js'

/**
 * A running connector with an API key and a clock the test can move:
 * `clock.offset` shifts the connector's time (and the ts this env signs with).
 * Log lines are kept in `logs` so a test can check what was logged.
 */
export interface RedemptionEnv {
  connector: Connector
  url: string
  db: Db
  /** `offset` shifts the clock; `frozen` (epoch ms) stops it. */
  clock: { offset: number; frozen?: number | undefined }
  now(): number
  keyId: string
  secret: string
  logs: Array<Record<string, unknown>>
  /** POST with this env's key (unless `token`/`secret`/`authorization` say otherwise) and clock. */
  post(path: string, options?: CallOptions): Promise<CallResult>
  stop(): Promise<void>
}

export async function startRedemptionEnv(overrides: Partial<ConfigInput> = {}): Promise<RedemptionEnv> {
  const config = testConfig({ rateLimitPerSecond: 100_000, logLevel: 'debug', ...overrides })
  const clock: RedemptionEnv['clock'] = { offset: 0 }
  const now = () => clock.frozen ?? Date.now() + clock.offset
  const logs: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const connector = await Connector.create(config, { logger: createLogger('debug', sink), now })
  const { url } = await connector.start()
  const key = await createApiKey(connector.context.db, { name: 'test', now: now() })
  return {
    connector,
    url,
    db: connector.context.db,
    clock,
    now,
    keyId: key.id,
    secret: key.secret,
    logs,
    post(path, options = {}) {
      const useKey = options.token === undefined && options.secret === undefined && options.authorization === undefined
      return call(url, path, { ts: now(), ...options, ...(useKey ? { secret: key.secret } : {}) })
    },
    async stop() {
      await connector.stop()
      rmSync(join(config.db, '..'), { recursive: true, force: true })
    },
  }
}

/** One env per test file, started on first use (a failure fails that test, not a hook). */
export function sharedRedemptionEnv(overrides: Partial<ConfigInput> = {}): { get(): Promise<RedemptionEnv>; stop(): Promise<void> } {
  let env: Promise<RedemptionEnv> | undefined
  return {
    get: () => (env ??= startRedemptionEnv(overrides)),
    async stop() {
      if (env) await (await env).stop()
    },
  }
}
