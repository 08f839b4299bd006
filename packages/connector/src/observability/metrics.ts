import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { DeliveryMetrics, DeliveryOutcome } from './delivery-metrics.js'
import { readOutboxGauges, readStockLeft, type GaugeSource } from './db-gauges.js'

/**
 * Every series the connector exposes, on a private Registry (one per Connector,
 * so tests and several connectors in one process never share state).
 *
 * Request and delivery series are counted as they happen; the outbox and stock
 * gauges are read from the database at scrape time (`collect()`), so they are
 * exact even after a restart and cost nothing between scrapes.
 */

const SECONDS = 1 / 1000
/** Request latency buckets: signed issueBenefit should sit well under 20 ms. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
/** Delivery latency: a platform round trip, up to the platform timeout. */
const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export interface MetricsOptions extends GaugeSource {
  /** ISV keyVersion in use, shown on benefitkit_connector_info. */
  keyVersion: string
  /** Collect Node's process metrics (CPU, memory, event-loop lag, GC). Default true. */
  processMetrics?: boolean
}

type Observer = { observe(value: number): void }
type Incrementer = { inc(value?: number): void }

export class ConnectorMetrics implements DeliveryMetrics {
  readonly registry = new Registry()
  readonly #requests: Counter<'api' | 'code'>
  readonly #requestSeconds: Histogram<'api'>
  readonly #deliveries: Counter<'api' | 'outcome'>
  readonly #deliverySeconds: Histogram<'api'>
  // Label children cached per label values: prom-client's labels() builds
  // closures on every call, and this runs on every request.
  readonly #requestCounters = new Map<string, Map<string, Incrementer>>()
  readonly #requestTimers = new Map<string, Observer>()
  readonly #deliveryCounters = new Map<string, Incrementer>()
  readonly #deliveryTimers = new Map<string, Observer>()

  constructor(options: MetricsOptions) {
    const registers = [this.registry]
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry })

    this.#requests = new Counter({
      name: 'benefitkit_http_requests_total',
      help: 'HTTP requests answered, by API and result code (protocol resultCode, redemption error code, or HTTP status)',
      labelNames: ['api', 'code'],
      registers,
    })
    this.#requestSeconds = new Histogram({
      name: 'benefitkit_http_request_duration_seconds',
      help: 'Time from receiving a request to its answer being ready, by API',
      labelNames: ['api'],
      buckets: REQUEST_BUCKETS,
      registers,
    })
    this.#deliveries = new Counter({
      name: 'benefitkit_outbox_delivery_attempts_total',
      help: 'Outbox delivery attempts to the platform by API and outcome (S, F, U, transport)',
      labelNames: ['api', 'outcome'],
      registers,
    })
    this.#deliverySeconds = new Histogram({
      name: 'benefitkit_outbox_delivery_duration_seconds',
      help: 'Wall time of one delivery attempt to the platform, by API',
      labelNames: ['api'],
      buckets: DELIVERY_BUCKETS,
      registers,
    })

    new Gauge({
      name: 'benefitkit_connector_info',
      help: 'Always 1; labels name the ISV keyVersion in use',
      labelNames: ['key_version'],
      registers,
    }).set({ key_version: options.keyVersion }, 1)

    // One query feeds three gauges; the first collect() of a scrape runs it and
    // the other two reuse its promise.
    let pendingRead: Promise<Awaited<ReturnType<typeof readOutboxGauges>>> | undefined
    const outbox = () => {
      pendingRead ??= readOutboxGauges(options).finally(() => {
        queueMicrotask(() => (pendingRead = undefined))
      })
      return pendingRead
    }
    new Gauge({
      name: 'benefitkit_outbox_rows',
      help: 'Outbox rows not yet delivered, by API and state (pending, in_flight, dead)',
      labelNames: ['api', 'state'],
      registers,
      async collect() {
        const { rows } = await outbox()
        this.reset()
        for (const row of rows) this.set({ api: row.api, state: row.state }, row.count)
      },
    })
    new Gauge({
      name: 'benefitkit_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outbox row still waiting to be delivered (0 when none)',
      registers,
      async collect() {
        const { oldestPendingAgeMs } = await outbox()
        this.set(oldestPendingAgeMs * SECONDS)
      },
    })
    new Gauge({
      name: 'benefitkit_outbox_dead_rows',
      help: 'Outbox rows parked as dead: calls the platform never accepted; they need an operator',
      registers,
      async collect() {
        const { dead } = await outbox()
        this.set(dead)
      },
    })
    new Gauge({
      name: 'benefitkit_template_stock_left',
      help: 'Instances still issuable per template (total minus issued), for templates that are synced or syncing and not ended',
      labelNames: ['template'],
      registers,
      async collect() {
        const stock = await readStockLeft(options)
        this.reset()
        for (const row of stock) this.set({ template: row.template }, row.left)
      },
    })
  }

  /** Counts one answered request. Labels must come from a closed set (see request-labels.ts). */
  observeRequest(api: string, code: string, durationMs: number): void {
    let byCode = this.#requestCounters.get(api)
    if (!byCode) this.#requestCounters.set(api, (byCode = new Map()))
    let counter = byCode.get(code)
    if (!counter) byCode.set(code, (counter = this.#requests.labels(api, code)))
    counter.inc()
    let timer = this.#requestTimers.get(api)
    if (!timer) this.#requestTimers.set(api, (timer = this.#requestSeconds.labels(api)))
    timer.observe(durationMs * SECONDS)
  }

  recordDelivery(api: string, outcome: DeliveryOutcome, durationMs: number): void {
    const key = `${api} ${outcome}`
    let counter = this.#deliveryCounters.get(key)
    if (!counter) this.#deliveryCounters.set(key, (counter = this.#deliveries.labels(api, outcome)))
    counter.inc()
    let timer = this.#deliveryTimers.get(api)
    if (!timer) this.#deliveryTimers.set(api, (timer = this.#deliverySeconds.labels(api)))
    timer.observe(durationMs * SECONDS)
  }

  /** The Prometheus text exposition of every series. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
