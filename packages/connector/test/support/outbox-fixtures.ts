import type { Connector, Db, OutboxRow } from '@benefitkit/connector'
import { formatProtocolTime } from '@benefitkit/shared'
import { enqueueOutbox } from '../../src/outbox/enqueue.js'
import { createTemplate } from '../../src/templates/create.js'
import type { OutboxWorkerOptions } from '../../src/outbox/worker.js'
import { startTestConnector, type TestConnector } from './connector.js'
import { startPlatformStub, type PlatformStub, type PlatformStubOptions } from './platform-stub.js'

/**
 * Rows and rigs for outbox tests: a platform stub, a connector pointed at it
 * with a schedule measured in milliseconds, and valid protocol bodies.
 */

/** The production schedule's shape, in milliseconds instead of minutes. */
export const FAST_SCHEDULE = Object.freeze({ delaysMs: [20, 40, 60, 80], thenEveryMs: 100, horizonMs: 60_000, jitter: 0.2 })
export const FAST_QUICK_RETRIES = Object.freeze({ retries: 2, minTimeoutMs: 5, maxTimeoutMs: 20 })

export interface Rig {
  stub: PlatformStub
  t: TestConnector
  connector: Connector
  db: Db
  stop(): Promise<void>
}

export interface RigOptions {
  stub?: PlatformStubOptions
  outbox?: OutboxWorkerOptions
  platformTimeoutMs?: number
  outboxConcurrency?: number
  now?: () => number
}

/** A stub and a connector that delivers to it with a fast schedule and no reconciler unless asked. */
export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const stub = await startPlatformStub(options.stub)
  const t = await startTestConnector(
    {
      platformUrl: stub.url,
      platformTimeoutMs: options.platformTimeoutMs ?? 2_000,
      ...(options.outboxConcurrency ? { outboxConcurrency: options.outboxConcurrency } : {}),
    },
    {
      ...(options.now ? { now: options.now } : {}),
      outbox: { schedule: FAST_SCHEDULE, quickRetries: FAST_QUICK_RETRIES, pollIntervalMs: 50, reconciler: false, ...options.outbox },
    },
  )
  return {
    stub,
    t,
    connector: t.connector,
    db: t.connector.context.db,
    async stop() {
      await t.stop()
      await stub.close()
    },
  }
}

let counter = 0
/** A unique id for this process. */
export function uid(prefix: string): string {
  counter++
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

/** A valid syncUsedBenefit body. */
export function usedBody(useRequestId: string, templateId: string): string {
  return JSON.stringify({
    benefitUseRequestId: useRequestId,
    userId: 'user-1',
    clientCode: 'ALIPAY_HK',
    benefitInstanceId: `inst-${useRequestId}`.slice(0, 64),
    benefitTemplateId: templateId,
    benefitUseDate: formatProtocolTime(Date.now(), 480),
    useScene: 'OFFLINE_STORE',
    usedAmount: { currency: 'HKD', value: '1000' },
  })
}

/** A valid syncBenefit body. */
export function syncBody(syncRequestId: string, templateId: string): string {
  const now = Date.now()
  return JSON.stringify({
    benefitSyncRequestId: syncRequestId,
    benefitTemplateId: templateId,
    benefitProductCode: 'SPICE_SECRET_VOUCHER',
    benefitTitle: 'HKD 10 off',
    benefitBeginTime: formatProtocolTime(now, 480),
    benefitEndTime: formatProtocolTime(now + 30 * 86_400_000, 480),
    benefitValidPeriod: { type: 'RELATIVE', validDays: 30 },
    clientCode: 'ALIPAY_HK',
    benefitContent: { amount: { currency: 'HKD', value: '1000' }, codeType: 'CODE' },
    benefitBudget: { totalQuantity: 1000 },
  })
}

/** Commits syncUsedBenefit rows (one transaction) and wakes the worker, as a redemption does. */
export async function enqueueUsed(connector: Connector, templateId: string, count: number, prefix = uid('use')): Promise<string[]> {
  const { db, now, outbox } = connector.context
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  await db.transaction().execute(async (trx) => {
    for (const id of ids) {
      await enqueueOutbox(trx, { api: 'syncUsedBenefit', idempotencyId: id, body: usedBody(id, templateId), orderingKey: templateId, now: now() })
    }
  })
  outbox.wake()
  return ids
}

/**
 * Creates a template through the connector's own path (templates/create.ts,
 * issue 3): the template (DRAFT) and its syncBenefit row in one transaction,
 * then a wake-up. Inject stub faults for it *before* calling this (match on
 * `api: 'syncBenefit'`): the first attempt starts at once.
 */
export async function createTemplateWithSync(connector: Connector, templateId = uid('tpl')): Promise<{ templateId: string; syncRequestId: string }> {
  const { db, now, outbox } = connector.context
  const at = now()
  const created = await createTemplate(
    { db, outbox, now },
    {
      benefitTemplateId: templateId,
      benefitProductCode: 'SPICE_SECRET_VOUCHER',
      benefitTitle: 'HKD 10 off',
      benefitBeginTime: formatProtocolTime(at, 480),
      benefitEndTime: formatProtocolTime(at + 30 * 86_400_000, 480),
      benefitValidPeriod: { type: 'RELATIVE', validDays: 30 },
      clientCode: 'ALIPAY_HK',
      benefitContent: { amount: { currency: 'HKD', value: '1000' }, codeType: 'CODE' },
      benefitBudget: { totalQuantity: 1000 },
    },
  )
  return { templateId: created.template.benefitTemplateId, syncRequestId: created.benefitSyncRequestId }
}

export async function outboxRows(db: Db): Promise<OutboxRow[]> {
  return db.selectFrom('outbox').selectAll().orderBy('id').execute()
}

export async function templateState(db: Db, templateId: string) {
  return db.selectFrom('templates').select(['state', 'sync_fail_code', 'sync_fail_reason']).where('id', '=', templateId).executeTakeFirstOrThrow()
}

/** Polls until `check()` resolves truthy; throws with `message` after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, { timeoutMs = 10_000, message = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Waits until no row is pending or in flight. */
export async function drained(db: Db, timeoutMs = 10_000): Promise<void> {
  await eventually(
    async () => {
      const open = await db.selectFrom('outbox').select('id').where('state', 'in', ['pending', 'in_flight']).limit(1).execute()
      return open.length === 0
    },
    { timeoutMs, message: 'the outbox to drain' },
  )
}
