/**
 * The process under load in `pnpm bench`: either the connector (its Koa app,
 * its SQLite file, keys parsed once — exactly what `benefitkit serve` runs) or
 * the bare Koa hello-world baseline. Started by bench/run.ts through
 * support/rpc.ts (bundled with esbuild and run by plain node, like the
 * production build); it reports its own CPU time and RSS so the bench can
 * count CPU per request whatever else the machine is doing.
 *
 * The outbox worker is not started here: request-path figures measure the
 * request path, and the outbox has its own figures (bench/outbox.bench.ts).
 * Rows committed by redeems stay pending, as they would while the platform
 * is slow.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { getHeapSpaceStatistics } from 'node:v8'
import { dirname } from 'node:path'
import { createRequire } from 'node:module'
import { Connector, createApiKey, createLogger, createTemplate, applySyncOutcome, loadConfig } from '@benefitkit/connector'
import { formatProtocolTime } from '@benefitkit/shared'
import { serveRpc } from './support/rpc.js'

let connector: Connector | undefined
let server: Server | undefined
let cpuMark = process.cpuUsage()
let rssPeakSampled = 0
let profiler: Session | undefined

// RSS sampled every 100 ms on top of the kernel's own high-water mark (maxRSS).
setInterval(() => {
  rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage.rss())
}, 100).unref()

function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler)
  s.keepAliveTimeout = 65_000
  server = s
  return new Promise((resolve, reject) => {
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`))
  })
}

export interface StartConnectorArgs {
  db: string
  clientId: string
  isvPrivateKey: string
  platformPublicKey: string
  synchronous: 'FULL' | 'NORMAL'
}

const DAY = 86_400_000

serveRpc(
  {
    async 'start-connector'(args: StartConnectorArgs) {
      const config = loadConfig({
        env: {},
        overrides: {
          host: '127.0.0.1',
          port: 0,
          db: args.db,
          dbSynchronous: args.synchronous,
          clientId: args.clientId,
          privateKey: args.isvPrivateKey,
          platformUrl: 'http://127.0.0.1:9',
          platformPublicKeys: { '1': args.platformPublicKey },
          logLevel: 'silent',
          // The bench drives one API key far past the production default of 200/s.
          rateLimitPerSecond: 10_000_000,
        },
      })
      connector = await Connector.create(config, { logger: createLogger('silent') })
      return { url: await listen(connector.app.callback()) }
    },

    async 'start-koa'() {
      // The same Koa the connector runs, resolved from the connector package.
      const require = createRequire(process.env.BENCH_CONNECTOR_PACKAGE_JSON!)
      const Koa = require('koa') as new () => Connector['app']
      const app = new Koa()
      app.use((ctx) => {
        ctx.body = 'Hello World'
      })
      return { url: await listen(app.callback()) }
    },

    /** A SYNCED template with plenty of stock, created the way the CLI does (syncBenefit queued), then marked synced. */
    async template({ stock }: { stock: number }) {
      const context = connector!.context
      const now = Date.now()
      const created = await createTemplate(context, {
        benefitProductCode: 'SPICE_SECRET_VOUCHER',
        benefitTitle: 'HKD 10 off',
        benefitBeginTime: formatProtocolTime(now - DAY, 480),
        benefitEndTime: formatProtocolTime(now + 30 * DAY, 480),
        benefitValidPeriod: { type: 'RELATIVE', validDays: 30 },
        clientCode: 'ALIPAY_HK',
        benefitContent: { amount: { currency: 'HKD', value: '1000' }, codeType: 'CODE' },
        benefitBudget: { totalQuantity: stock },
      })
      await applySyncOutcome(context.db, { syncRequestId: created.benefitSyncRequestId, syncStatus: 'SUCCESS', now })
      return { templateId: created.template.benefitTemplateId }
    },

    async 'api-key'() {
      const key = await createApiKey(connector!.context.db, { name: 'bench' })
      return { keyId: key.id, secret: key.secret }
    },

    'cpu-mark'() {
      cpuMark = process.cpuUsage()
      return null
    },

    /** CPU time (all threads) since the mark, RSS now and at its highest. */
    'cpu-read'() {
      const cpu = process.cpuUsage(cpuMark)
      const rss = process.memoryUsage.rss()
      rssPeakSampled = Math.max(rssPeakSampled, rss)
      const memory = process.memoryUsage()
      return {
        cpuMs: (cpu.user + cpu.system) / 1000,
        rssMb: rss / 2 ** 20,
        heapUsedMb: memory.heapUsed / 2 ** 20,
        heapTotalMb: memory.heapTotal / 2 ** 20,
        externalMb: memory.external / 2 ** 20,
        peakRssMb: Math.max(rssPeakSampled, process.resourceUsage().maxRSS * 1024) / 2 ** 20,
      }
    },

    /** Starts the V8 CPU profiler (what `node --cpu-prof` runs), for one workload at a time. */
    async 'profile-start'({ intervalUs = 200 }: { intervalUs?: number }) {
      profiler = new Session()
      profiler.connect()
      await profiler.post('Profiler.enable')
      await profiler.post('Profiler.setSamplingInterval', { interval: intervalUs })
      await profiler.post('Profiler.start')
      return null
    },

    async 'profile-stop'({ file }: { file: string }) {
      const { profile } = await profiler!.post('Profiler.stop')
      profiler!.disconnect()
      profiler = undefined
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, JSON.stringify(profile))
      return { file }
    },

    /** Memory after a full GC (the server runs with --expose-gc): what is live, as opposed to what V8 keeps around. */
    'after-gc'() {
      const gc = (globalThis as { gc?: () => void }).gc
      if (!gc) return null
      gc()
      const memory = process.memoryUsage()
      // Where V8's committed memory sits (new space grows under allocation pressure and stays committed).
      const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, Number((s.space_size / 2 ** 20).toFixed(1))]))
      return { rssMb: memory.rss / 2 ** 20, heapUsedMb: memory.heapUsed / 2 ** 20, heapTotalMb: memory.heapTotal / 2 ** 20, externalMb: memory.external / 2 ** 20, spacesMb: spaces }
    },

    /** Rows per table, to check what the load did. */
    counts() {
      const sqlite = connector!.context.sqlite
      const count = (table: string, where = '') => (sqlite.prepare(`select count(*) as n from ${table} ${where}`).get() as { n: number }).n
      return {
        issued: count('issuings', "where state = 'ISSUED'"),
        instances: count('instances'),
        redemptions: count('redemptions'),
        outbox: count('outbox'),
      }
    },
  },
  {
    async onDisconnect() {
      if (server) {
        const s = server
        await new Promise<void>((resolve) => {
          s.close(() => resolve())
          s.closeAllConnections()
        })
      }
      await connector?.stop()
    },
  },
)
