import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa from 'koa'
import { loadPrivateKey, loadPublicKey, PublicKeyring } from '@benefitkit/shared/signing'
import type { Config } from './config.js'
import type { ConnectorContext } from './context.js'
import { GroupCommit } from './db/group-commit.js'
import { DAEMON_CHECKPOINT_PAGES, migrateToLatest, openDatabase, type OpenedDatabase } from './db/open.js'
import { createAdminApi } from './admin/router.js'
import { durableAnswers } from './http/durable-answers.js'
import { GracefulClose } from './http/graceful-close.js'
import { createHealthRouter } from './http/health.js'
import { createLogger, type Logger } from './logger.js'
import { ConnectorMetrics } from './observability/metrics.js'
import { createMetricsRoute } from './observability/metrics-route.js'
import { recordDeliveryEvent } from './observability/outbox-events.js'
import { requestLog, wasLogged } from './observability/request-log.js'
import { OutboxWorker, type OutboxWorkerOptions } from './outbox/worker.js'
import { createPlatformRouter } from './platform-api/router.js'
import { InstanceCache } from './redemption/instance-cache.js'
import { createRedemptionApi } from './redemption/api.js'
import { createRedemptionRouter, redemptionFastPath } from './redemption/router.js'

export interface ConnectorOptions {
  /** Defaults to a pino logger at config.logLevel on stdout. */
  logger?: Logger
  /** Epoch ms clock, for tests that move time. */
  now?: () => number
  /** Outbox worker tuning (schedule, lease, concurrency, reconciler); defaults suit production. */
  outbox?: OutboxWorkerOptions
}

/**
 * The daemon: one Koa app, one SQLite database, one outbox worker.
 * `Connector.create()` opens and migrates the database and parses every key
 * once; `start()` listens and starts delivering; `stop()` undoes both.
 */
export class Connector {
  readonly context: ConnectorContext
  readonly app: Koa
  readonly #database: OpenedDatabase
  readonly #worker: OutboxWorker
  /** Prometheus series on a private registry (served at /metrics). */
  readonly metrics: ConnectorMetrics
  #server: Server | undefined
  #http: GracefulClose | undefined
  #draining = false

  private constructor(context: ConnectorContext, database: OpenedDatabase, worker: OutboxWorker, app: Koa, metrics: ConnectorMetrics) {
    this.context = context
    this.#database = database
    this.#worker = worker
    this.app = app
    this.metrics = metrics
  }

  /** True once stop() began: /readyz answers 503. */
  get draining(): boolean {
    return this.#draining
  }

  static async create(config: Config, options: ConnectorOptions = {}): Promise<Connector> {
    const logger = options.logger ?? createLogger(config.logLevel)
    const signing = { keyVersion: config.keyVersion, privateKey: loadPrivateKey(config.privateKey) }
    const platform = new PublicKeyring(
      Object.entries(config.platformPublicKeys).map(([version, text]) => [version, loadPublicKey(text)] as const),
    )
    const database = openDatabase(config.db, {
      synchronous: config.dbSynchronous,
      syncInBackground: true,
      walAutocheckpointPages: DAEMON_CHECKPOINT_PAGES,
    })
    const migration = await migrateToLatest(database.db)
    if (migration.error) {
      await database.close()
      throw new Error(`database migration failed: ${String((migration.error as Error).message ?? migration.error)}`)
    }

    // The worker needs the context and the context needs the worker's waker:
    // a tiny indirection breaks the cycle.
    let worker: OutboxWorker | undefined
    const context: ConnectorContext = Object.freeze({
      config,
      db: database.db,
      sqlite: database.sqlite,
      keys: Object.freeze({ signing, platform }),
      logger,
      outbox: { wake: () => worker?.wake() },
      commits: new GroupCommit(database.db),
      durability: database.durability,
      instanceCache: new InstanceCache(),
      now: options.now ?? Date.now,
    })
    // In-flight deliveries may use the whole shutdown deadline (options.outbox can still say otherwise).
    worker = new OutboxWorker(context, { stopTimeoutMs: config.shutdownTimeoutMs, ...options.outbox })
    const metrics = new ConnectorMetrics({ db: database.db, now: context.now, keyVersion: config.keyVersion })
    worker.onDelivery((event) => recordDeliveryEvent(metrics, event))
    let connector: Connector | undefined

    const app = new Koa({ proxy: false })
    app.silent = true
    // The request log already wrote a line with the request id for errors it saw.
    app.on('error', (error: Error) => wasLogged(error) || logger.error({ err: error }, 'unhandled error in request'))
    app.use(requestLog({ logger, metrics }))
    app.use(durableAnswers(context))
    const metricsRoute = createMetricsRoute({ metrics, public: config.metricsPublic, adminToken: config.adminToken })
    if (metricsRoute) app.use(metricsRoute)
    const adminApi = createAdminApi(context)
    if (adminApi) app.use(adminApi)
    const health = createHealthRouter(context, { draining: () => connector?.draining ?? false })
    const platformRoutes = createPlatformRouter(context)
    const redemptionApi = createRedemptionApi(context)
    const redemptionRoutes = createRedemptionRouter(context, redemptionApi)
    app.use(redemptionFastPath(redemptionApi))
    app.use(health.routes())
    app.use(platformRoutes.routes())
    app.use(platformRoutes.allowedMethods())
    app.use(redemptionRoutes.routes())
    connector = new Connector(context, database, worker, app, metrics)
    return connector
  }

  /** Listens on config.host:config.port (port 0 picks a free one) and starts the outbox worker. */
  async start(): Promise<{ url: string }> {
    const server = createServer(this.app.callback())
    // Longer than common proxies' idle timeout so they, not we, close idle sockets.
    server.keepAliveTimeout = 65_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.context.config.port, this.context.config.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.#server = server
    this.#http = new GracefulClose(server)
    this.#worker.start()
    this.context.logger.info({ url: this.url }, 'connector listening')
    return { url: this.url }
  }

  get url(): string {
    const address = this.#server?.address() as AddressInfo | null | undefined
    if (!address) throw new Error('connector is not listening')
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}`
  }

  get worker(): OutboxWorker {
    return this.#worker
  }

  /**
   * Stops accepting connections and, at the same time, lets in-flight
   * requests and outbox deliveries finish — both within `deadlineMs`
   * (config.shutdownTimeoutMs); what is left then is cut (requests) or handed
   * back for the next start (deliveries). Closes the database last.
   */
  async stop({ deadlineMs = this.context.config.shutdownTimeoutMs }: { deadlineMs?: number } = {}): Promise<void> {
    const http = this.#http
    this.#http = undefined
    this.#server = undefined
    this.#draining = true
    const { logger } = this.context
    const [closed] = await Promise.all([http ? http.close(deadlineMs) : { cut: 0 }, this.#worker.stop()])
    if (closed.cut) logger.warn({ cut: closed.cut, deadlineMs }, 'shutdown deadline passed: requests still in flight were cut')
    await this.#database.close()
  }
}
