import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa from 'koa'
import { loadPrivateKey, loadPublicKey, PublicKeyring } from '@benefitkit/shared/signing'
import type { Config } from './config.js'
import type { ConnectorContext } from './context.js'
import { migrateToLatest, openDatabase, type OpenedDatabase } from './db/open.js'
import { createHealthRouter } from './http/health.js'
import { createLogger, type Logger } from './logger.js'
import { OutboxWorker, type OutboxWorkerOptions } from './outbox/worker.js'
import { createPlatformRouter } from './platform-api/router.js'
import { createRedemptionRouter } from './redemption/router.js'

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
  #server: Server | undefined

  private constructor(context: ConnectorContext, database: OpenedDatabase, worker: OutboxWorker, app: Koa) {
    this.context = context
    this.#database = database
    this.#worker = worker
    this.app = app
  }

  static async create(config: Config, options: ConnectorOptions = {}): Promise<Connector> {
    const logger = options.logger ?? createLogger(config.logLevel)
    const signing = { keyVersion: config.keyVersion, privateKey: loadPrivateKey(config.privateKey) }
    const platform = new PublicKeyring(
      Object.entries(config.platformPublicKeys).map(([version, text]) => [version, loadPublicKey(text)] as const),
    )
    const database = openDatabase(config.db, { synchronous: config.dbSynchronous })
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
      now: options.now ?? Date.now,
    })
    worker = new OutboxWorker(context, options.outbox)

    const app = new Koa({ proxy: false })
    app.silent = true
    app.on('error', (error: Error) => logger.error({ err: error }, 'unhandled error in request'))
    const health = createHealthRouter(context)
    const platformRoutes = createPlatformRouter(context)
    const redemptionRoutes = createRedemptionRouter(context)
    app.use(health.routes())
    app.use(platformRoutes.routes())
    app.use(platformRoutes.allowedMethods())
    app.use(redemptionRoutes.routes())
    return new Connector(context, database, worker, app)
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
   * Stops accepting connections, lets in-flight requests finish, stops the
   * outbox worker (in-flight deliveries finish or their lease lapses), closes
   * the database.
   */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      await closed
    }
    await this.#worker.stop()
    await this.#database.close()
  }
}
