import { Writable } from 'node:stream'
import { Connector, createLogger, type ConfigInput } from '@benefitkit/connector'
import { testConfig, type TestConnector } from './connector.js'
import { rmSync } from 'node:fs'
import { join } from 'node:path'

/** Every line a connector logs, raw and parsed, for tests that check what reaches the log. */
export interface CapturedLogs {
  raw: string[]
  lines: Array<Record<string, any>>
  text(): string
}

export function captureLogs(): { logs: CapturedLogs; stream: Writable } {
  const logs: CapturedLogs = {
    raw: [],
    lines: [],
    text: () => logs.raw.join('\n'),
  }
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue
        logs.raw.push(line)
        logs.lines.push(JSON.parse(line) as Record<string, any>)
      }
      done()
    },
  })
  return { logs, stream }
}

/** A running connector whose log lines (at `level`) are captured. */
export async function startLoggedConnector(
  overrides: Partial<ConfigInput> = {},
  level = 'trace',
): Promise<TestConnector & { logs: CapturedLogs }> {
  const config = testConfig(overrides)
  const { logs, stream } = captureLogs()
  const connector = await Connector.create(config, { logger: createLogger(level, stream) })
  const { url } = await connector.start()
  const dir = join(config.db, '..')
  return {
    connector,
    url,
    config,
    dir,
    logs,
    async stop() {
      await connector.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
