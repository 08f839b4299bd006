import type { Transaction } from 'kysely'
import { keyParameterFingerprint, type IssueBenefitRequest } from '@benefitkit/shared'
import type { Database, InstanceRow } from '../db/schema.js'
import type { QueryRunner } from '../db/prepared.js'
import { flatAnswer, type Answer } from '../platform-api/answer.js'
import type { PoolCode } from '../templates/pool-codes.js'
import { generateBenefitCode, generateInstanceId, generatePin, generateUrlToken } from './codes.js'
import { detailOf } from './details.js'
import type { TransactionRunner } from '../db/group-commit.js'
import type { IssuingQueries } from './queries.js'
import { refusalOf } from './refusal.js'
import type { IssuableTemplate, TemplateCatalog } from './template-catalog.js'
import { validityOf } from './validity.js'

/**
 * issueBenefit (protocol.md §6.5): one transaction that claims the idempotency
 * id, checks the template, takes stock and the user's allowance, creates
 * exactly `quantity` instances and stores the answer — all of it or none.
 *
 * The guard against issuing twice is the first statement: inserting the
 * `issuings` row (ON CONFLICT DO NOTHING), already carrying the answer when it
 * can be known up front. A repeat — concurrent or later —
 * finds the row and replays what it holds. On SQLite the transactions are
 * serialised anyway; on PostgreSQL the second INSERT waits on the unique index
 * until the first commits, then sees its row. Beginning with a write also keeps
 * SQLite from failing a read-then-write upgrade when another process (the CLI)
 * wrote in between. Concurrent issues share a transaction (group-commit.ts);
 * each answer is sent only after the transaction holding it committed.
 *
 * Decisions where the protocol is silent:
 * - The fingerprint uses clientCode defaulted to the template's, so a retry that
 *   spells out the default matches the first attempt that left it out.
 * - F answers (no template, not synced, window, out of stock, per-user limit)
 *   are stored as REJECTED and replayed, as §4 asks for a final first attempt.
 *   U answers (SYSTEM_ERROR) roll back and store nothing.
 * - A repeat after a reversal answers BIZ_ERROR_NO_RETRY ("reversed"), never the
 *   old success: the instances it named are gone.
 */

export interface IssueDeps {
  /** Runs the issuing transaction: the connector's GroupCommit in the daemon (see db/group-commit.ts). */
  transact: TransactionRunner
  templates: TemplateCatalog
  /** The transaction's statements, compiled once per connector: `createIssuingQueries(db)`. */
  queries: IssuingQueries
  now: () => number
  /** Base of benefitUrl for URL benefits (`https://host`); called only for them. */
  urlBase: () => string
}

/** A generated code or id collided with an existing one (or a pool code was taken meanwhile): run again. */
class RetryIssue extends Error {
  override readonly name = 'RetryIssue'
}

const MAX_ATTEMPTS = 3

export async function issueBenefit(deps: IssueDeps, request: IssueBenefitRequest): Promise<Answer> {
  const now = deps.now()
  const template = await deps.templates.get(request.benefitTemplateId)
  const clientCode = request.clientCode ?? template?.clientCode ?? null
  const fingerprint = keyParameterFingerprint('issueBenefit', { ...request, clientCode })
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.transact((trx) => issueIn(trx, deps, request, template, clientCode, fingerprint, now))
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !(error instanceof RetryIssue || isInstanceCollision(error))) throw error
    }
  }
}

async function issueIn(
  trx: Transaction<Database>,
  deps: IssueDeps,
  request: IssueBenefitRequest,
  template: IssuableTemplate | undefined,
  clientCode: string | null,
  fingerprint: string,
  now: number,
): Promise<Answer> {
  const requestId = request.benefitIssueRequestId
  const quantity = request.quantity
  // What can be decided without the database is decided before the claim, so
  // the claim itself carries the answer: a refusal, or — when the template has
  // no pool codes to hand out — the whole success (one statement less each).
  const refusal = refusalOf(template, request, now)
  let answer = refusal === undefined ? undefined : flatAnswer('BIZ_ERROR_NO_RETRY', refusal)
  let instances: InstanceRow[] | undefined
  if (template && !refusal && deps.templates.poolKnownEmpty(template)) {
    instances = buildInstances(deps, template, request, now, [])
    answer = successOf(instances, now)
  }

  const queries = deps.queries
  const claimed = await queries.claim.run(trx, {
    request_id: requestId,
    state: refusal === undefined ? 'ISSUED' : 'REJECTED',
    user_id: request.userId,
    template_id: request.benefitTemplateId,
    quantity,
    client_code: clientCode,
    fingerprint,
    answer_json: answer?.body ?? null,
    created_at: now,
    reversed_at: null,
  })
  if (!changed(claimed)) return replay(trx, queries, request, fingerprint)
  if (refusal !== undefined) return answer!
  const issuable = template!

  const stock = await queries.takeStock.run(trx, { id: issuable.id, quantity })
  if (!changed(stock)) return reject(trx, queries, requestId, await outOfStock(trx, queries, issuable.id, quantity))

  if (!(await takeUserAllowance(trx, queries, issuable, request.userId, quantity))) {
    // Give the stock back: the transaction continues, to store the rejection.
    await queries.giveBackStock.run(trx, { id: issuable.id, quantity })
    return reject(
      trx,
      queries,
      requestId,
      `per-user limit reached: user ${request.userId} may collect at most ${issuable.perUserLimit} of template ${issuable.id}`,
    )
  }

  if (instances) {
    await queries.insertInstances(trx, instances)
    return answer!
  }
  const pool = await takePoolCodes(trx, deps, issuable, quantity)
  instances = buildInstances(deps, issuable, request, now, pool)
  await queries.insertInstances(trx, instances)
  // The first pool.length instances carry the pool codes, in order.
  await claimPoolCodes(trx, queries, issuable.id, instances.slice(0, pool.length))
  answer = successOf(instances, now)
  await queries.storeAnswer.run(trx, { request_id: requestId, answer_json: answer.body })
  return answer
}

/** Whether an INSERT or UPDATE wrote a row (an upsert's DO NOTHING, or a WHERE that matched none, writes none). */
function changed(result: { numAffectedRows?: bigint }): boolean {
  return (result.numAffectedRows ?? 0n) !== 0n
}

function successOf(instances: readonly InstanceRow[], now: number): Answer {
  return flatAnswer('SUCCESS', 'success', { benefitDetails: instances.map((i) => detailOf(i, now)) })
}

/**
 * The user's live count for this template goes up by `quantity`, unless that
 * passes the per-user limit. One upsert whose update is conditional, so two
 * concurrent issues for one user cannot both pass.
 *
 * A template without a limit keeps no count at all (one statement less per
 * issue). That is safe because the count is only ever read by this upsert, to
 * enforce the limit, and a template's per_user_limit is written once when the
 * template is created (templates/sync-body.ts) and never updated: a synced
 * template's budget is final (protocol.md §6.1), and sync-state.ts only moves
 * its state. So a template either always counts or never does, and
 * reverseBenefitIssue gives a count back only for templates with a limit.
 * (Counts that earlier versions kept for unlimited templates stay untouched;
 * nothing reads them.)
 */
async function takeUserAllowance(
  runner: QueryRunner,
  queries: IssuingQueries,
  template: IssuableTemplate,
  userId: string,
  quantity: number,
): Promise<boolean> {
  const limit = template.perUserLimit
  if (limit === null) return true
  if (quantity > limit) return false
  const result = await queries.takeAllowance.run(runner, { template_id: template.id, user_id: userId, issued: quantity, limit })
  return changed(result)
}

/**
 * Up to `quantity` free pool codes, in import order. Fewer than asked means the
 * pool ran dry: the catalog then skips this query for a while.
 */
async function takePoolCodes(runner: QueryRunner, deps: IssueDeps, template: IssuableTemplate, quantity: number): Promise<PoolCode[]> {
  const { rows } = await deps.queries.freePoolCodes.run(runner, { template_id: template.id, limit: quantity })
  if (rows.length < quantity) deps.templates.markPoolEmpty(template)
  return rows.map((r) => (r.pin === null ? { code: r.code } : { code: r.code, pin: r.pin }))
}

/**
 * Marks the pool codes the instances took. Conditional, so a code another
 * transaction took meanwhile (PostgreSQL replicas) is noticed and the issue retried.
 */
async function claimPoolCodes(runner: QueryRunner, queries: IssuingQueries, templateId: string, pooled: readonly InstanceRow[]): Promise<void> {
  for (const instance of pooled) {
    const claim = await queries.claimPoolCode.run(runner, { template_id: templateId, code: instance.code, instance_id: instance.id })
    if (!changed(claim)) throw new RetryIssue(`pool code of ${templateId} taken concurrently`)
  }
}

/** `quantity` new instances: the given pool codes first, then generated codes, PINs or links. */
function buildInstances(
  deps: IssueDeps,
  template: IssuableTemplate,
  request: IssueBenefitRequest,
  now: number,
  pool: readonly PoolCode[],
): InstanceRow[] {
  const validity = validityOf(template, now)
  const urlBase = template.codeType === 'URL' ? deps.urlBase() : ''
  const instances: InstanceRow[] = []
  for (let i = 0; i < request.quantity; i++) {
    const pooled = pool[i]
    let code: string
    let pin: string | null = null
    let url: string | null = null
    if (pooled) {
      code = pooled.code
      pin = pooled.pin ?? null
    } else if (template.codeType === 'URL') {
      code = generateUrlToken()
      url = `${urlBase}/r/${code}`
    } else {
      code = generateBenefitCode()
      if (template.codeType === 'CODE_AND_PIN') pin = generatePin()
    }
    instances.push({
      id: generateInstanceId(now),
      issuing_id: request.benefitIssueRequestId,
      template_id: template.id,
      user_id: request.userId,
      client_code: template.clientCode,
      state: 'ACTIVATED',
      code,
      pin,
      url,
      activate_time: validity.activateTime,
      expire_time: validity.expireTime,
      activate_at: validity.activateAt,
      expire_at: validity.expireAt,
      amount_currency: template.amount?.currency ?? null,
      amount_value: template.amount?.value ?? null,
      created_at: now,
      used_at: null,
      reversed_at: null,
    })
  }
  return instances
}

/** Stores an F answer on the claimed row so every repeat gets the same one. */
async function reject(runner: QueryRunner, queries: IssuingQueries, requestId: string, message: string): Promise<Answer> {
  const answer = flatAnswer('BIZ_ERROR_NO_RETRY', message)
  await queries.reject.run(runner, { request_id: requestId, answer_json: answer.body })
  return answer
}

async function outOfStock(runner: QueryRunner, queries: IssuingQueries, templateId: string, quantity: number): Promise<string> {
  const row = (await queries.stockOf.run(runner, { id: templateId })).rows[0]
  const left = row ? row.total_quantity - row.issued_quantity : 0
  return `out of stock: template ${templateId} has ${left} left, ${quantity} asked`
}

/** A repeat of an id already seen: the stored answer, or why there is none. */
async function replay(runner: QueryRunner, queries: IssuingQueries, request: IssueBenefitRequest, fingerprint: string): Promise<Answer> {
  const id = request.benefitIssueRequestId
  const row = (await queries.issuing.run(runner, { request_id: id })).rows[0]
  if (!row) throw new Error(`issuing ${id} conflicted on insert, yet is not there`)
  if (row.state === 'TOMBSTONE') {
    return flatAnswer('BIZ_ERROR_NO_RETRY', `benefitIssueRequestId ${id} was reversed before it was issued; nothing is issued under it`)
  }
  if (row.fingerprint !== fingerprint) {
    const differing = [
      row.user_id !== request.userId && 'userId',
      row.template_id !== request.benefitTemplateId && 'benefitTemplateId',
      row.quantity !== request.quantity && 'quantity',
      (request.clientCode ?? row.client_code) !== row.client_code && 'clientCode',
    ].filter(Boolean)
    return flatAnswer(
      'REPEAT_REQ_INCONSISTENT',
      `benefitIssueRequestId ${id} was first used with a different ${differing.length ? differing.join(', ') : 'request'}`,
    )
  }
  if (row.state === 'REVERSED') return flatAnswer('BIZ_ERROR_NO_RETRY', `issuing ${id} was reversed; its benefits are no longer valid`)
  if (row.answer_json === null) throw new Error(`issuing ${id} is ${row.state} without a stored answer`)
  return { code: row.state === 'ISSUED' ? 'SUCCESS' : 'BIZ_ERROR_NO_RETRY', body: row.answer_json }
}

/** UNIQUE violation on instances (id or code): a fresh draw of random values will do. */
function isInstanceCollision(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; constraint?: unknown }
  if (typeof e?.message !== 'string') return false
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT')) return /instances\.(id|code)\b/.test(e.message)
  return e.code === '23505' && typeof e.constraint === 'string' && e.constraint.startsWith('instances')
}
