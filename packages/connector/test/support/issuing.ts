import { formatProtocolTime } from '@benefitkit/shared'
import type { ConfigInput } from '@benefitkit/connector'
import { createTemplate } from '../../src/templates/create.js'
import { applySyncOutcome } from '../../src/templates/sync-state.js'
import { startTestConnector, type TestConnector } from './connector.js'
import { callIsvApi, type CallOptions, type IsvAnswer } from './platform-caller.js'

/**
 * Fixtures for tests that need templates and issuings: a valid template file,
 * a template already SYNCED, and a connector that is always stopped.
 */

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** A valid template file: collectable from an hour ago for 30 days, valid 30 days from issue, code type CODE, 100 in stock. */
export function templateFile(overrides: Record<string, unknown> = {}, now = Date.now()): Record<string, unknown> {
  return {
    benefitProductCode: 'SPICE_SECRET_VOUCHER',
    benefitTitle: 'HKD 10 off',
    benefitBeginTime: formatProtocolTime(now - HOUR, 480),
    benefitEndTime: formatProtocolTime(now + 30 * DAY, 480),
    benefitValidPeriod: { type: 'RELATIVE', validDays: 30 },
    clientCode: 'ALIPAY_HK',
    benefitContent: { amount: { currency: 'HKD', value: '1000' }, description: 'HKD 10 off any order', codeType: 'CODE' },
    benefitBudget: { totalQuantity: 100 },
    ...overrides,
  }
}

/** Creates a template and marks it SYNCED as a notifyBenefitSync would; returns its id. */
export async function syncedTemplate(t: TestConnector, overrides: Record<string, unknown> = {}): Promise<string> {
  const context = t.connector.context
  const created = await createTemplate(context, templateFile(overrides, context.now()))
  await applySyncOutcome(context.db, { syncRequestId: created.benefitSyncRequestId, syncStatus: 'SUCCESS', now: context.now() })
  return created.template.benefitTemplateId
}

/** Runs `fn` with a fresh connector and always stops it (uvu hooks that throw skip a suite silently). */
export async function withConnector<T>(
  fn: (t: TestConnector) => Promise<T>,
  overrides: Partial<ConfigInput> = {},
  options: { now?: () => number } = {},
): Promise<T> {
  const t = await startTestConnector(overrides, options)
  try {
    return await fn(t)
  } finally {
    await t.stop()
  }
}

let counter = 0
/** A fresh benefitIssueRequestId. */
export function issueId(label = 'iss'): string {
  counter += 1
  return `${label}_${process.pid}_${Date.now().toString(36)}_${counter}`
}

export function issue(
  t: TestConnector,
  body: { benefitIssueRequestId?: string; userId?: string; benefitTemplateId: string; quantity?: number; clientCode?: string },
  options: CallOptions = {},
): Promise<IsvAnswer> {
  return callIsvApi(
    t.url,
    'issueBenefit',
    { ...body, benefitIssueRequestId: body.benefitIssueRequestId ?? issueId(), userId: body.userId ?? 'user_1', quantity: body.quantity ?? 1 },
    withClock(t, options),
  )
}

/** Calls with Request-Time taken from the connector's own clock (tests that move time). */
export function withClock(t: TestConnector, options: CallOptions = {}): CallOptions {
  return options.time ? options : { ...options, time: formatProtocolTime(t.connector.context.now()) }
}

/** Reads one value with the connector's own SQLite handle. */
export function scalar<T = number>(t: TestConnector, query: string, ...params: unknown[]): T {
  const row = t.connector.context.sqlite.prepare(query).get(...params) as Record<string, unknown> | undefined
  return (row ? Object.values(row)[0] : undefined) as T
}
