/**
 * `corepack pnpm demo`: the three flows of the seed against fresh state (a
 * temp folder), with a timeline of who called whom, which API, which result
 * and how long it took.
 *
 *   Flow 1  sync a benefit: a template approved (SYNCED through notifyBenefitSync)
 *           and one refused (AUDIT_FAIL → FAILED with the platform's reason)
 *   Flow 2  issue a benefit: a collect that succeeds; a collect whose answers are
 *           lost until the platform gives up and reverses it (stock restored);
 *           inquireBenefitIssue for both
 *   Flow 3  redeem: lookup and redeem through the SDK (fetch transport) while the
 *           platform is down; the outbox keeps syncUsedBenefit and delivers it,
 *           with the same body, once the platform is back
 *
 * Exits 0 when every step had the result it should, 1 with the step and what
 * happened instead otherwise. `--json` prints the timeline and the checks as one
 * JSON document instead of text. `--keep` keeps the temp folder.
 *
 * The outbox's retry schedule is shortened for the demo (0.3 s, then 0.6 s; in
 * production 5 s, 30 s, 2 min, …) so the whole run takes a few seconds.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { scriptArguments } from './script-arguments.js'
import { createApiKey, createLogger, findTemplate, type Db } from '@benefitkit/connector'
import { createRedemptionClient, isBenefitKitError } from '@benefitkit/miniprogram-sdk'
import { fetchTransport } from '@benefitkit/miniprogram-sdk/fetch'
import type { CollectResult } from '@benefitkit/sandbox'
import { formatAmount } from '@benefitkit/shared'
import { ensureTemplate, generateDevKeys, startDevStack, templateFile, waitForTemplateState, type DevStack } from './dev-setup.js'
import { Timeline } from './timeline.js'

const USAGE = `usage: corepack pnpm demo [-- --json] [-- --keep]

Runs the three flows (sync, issue, redeem) against a fresh connector and sandbox
and prints a timeline of who called whom. Exit code 0 when every step had the
expected result, 1 otherwise.

  --json   print the timeline and checks as one JSON document
  --keep   keep the temp folder (database, connector log)
`

let args: { json: boolean; keep: boolean; help: boolean }
try {
  args = parseArgs({
    args: scriptArguments(),
    options: { json: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    strict: true,
  }).values as typeof args
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
if (args.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}

/** A step whose result is not what it should be. */
class DemoFailure extends Error {}

const APPROVED = 'demo-voucher'
const REFUSED = 'demo-refused'
const REFUSAL_REASON = 'the title promises more than the voucher gives'
const ISSUE_RETRIES = 3
const INQUIRE_RETRIES = 1

const timeline = new Timeline()
if (!args.json) timeline.onEntry((_entry, line) => process.stdout.write(`${line}\n`))

function expect(ok: boolean, passed: string, failed: string): void {
  timeline.check(ok, ok ? passed : failed)
  if (!ok) throw new DemoFailure(failed)
}

function masked(code: string | undefined): string {
  return code ? `****${code.slice(-4)}` : '(none)'
}

async function issued(db: Db, templateId: string): Promise<number> {
  return (await findTemplate(db, templateId))?.issued_quantity ?? -1
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new DemoFailure(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The sandbox's record of a template's sync once its notify was acknowledged (the connector commits just before it answers). */
async function acknowledged(stack: DevStack, templateId: string) {
  const find = (s: DevStack['sandbox']['state']) => s.syncs.find((x) => x.benefitTemplateId === templateId)
  await stack.sandbox.waitFor((s) => find(s)?.notify?.state === 'ACKNOWLEDGED', { timeoutMs: 5_000 }).catch(() => undefined)
  return find(stack.sandbox.state)
}

const dir = mkdtempSync(join(tmpdir(), 'benefitkit-demo-'))
const log = createWriteStream(join(dir, 'connector.log'))
let stack: DevStack | undefined
let failure: Error | undefined

try {
  if (!args.json) {
    process.stdout.write(
      [
        'benefitkit demo: the three flows against a fresh connector and sandbox platform',
        `state in ${dir}; outbox retries shortened to 0.3 s / 0.6 s for the demo (production: 5 s, 30 s, 2 min, …)`,
        '',
        '     time  who                   API                 id                      result                    took',
      ].join('\n') + '\n',
    )
  }

  timeline.step('Setup · dev keys, a sandbox platform and a connector on loopback')
  stack = await startDevStack({
    keys: generateDevKeys(),
    db: join(dir, 'benefitkit.db'),
    logger: createLogger('info', log),
    sandbox: {
      reviewDelayMs: 300,
      issueRetries: ISSUE_RETRIES,
      inquireRetries: INQUIRE_RETRIES,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 300,
      notifyRetryScheduleMs: [200, 500],
      requestTimeoutMs: 3_000,
      onEvent: timeline.sandboxListener(),
    },
    outbox: {
      schedule: { delaysMs: [300, 600], thenEveryMs: 600, jitter: 0 },
      quickRetries: { retries: 0 },
      // Only notifyBenefitSync should settle the templates here.
      reconciler: { firstDelayMs: 60_000 },
    },
  })
  const { sandbox, connector, db } = stack
  connector.worker.onDelivery(timeline.deliveryListener())
  timeline.note('demo', `connector ${stack.connectorUrl}, sandbox platform ${stack.sandboxUrl}`)

  /* ---------------------------------------------------------- Flow 1 */
  timeline.flow = 'sync'
  timeline.step('Flow 1 · sync a benefit: template → syncBenefit (outbox) → platform review → notifyBenefitSync')
  timeline.note('operator', `creates template ${APPROVED} (HK$10 off, 1000 in stock, 5 per user)`)
  await ensureTemplate(connector, templateFile({ id: APPROVED, totalQuantity: 1000, perUserLimit: 5 }))
  const approved = await waitForTemplateState(db, APPROVED, ['SYNCED', 'FAILED'], { timeoutMs: 10_000 })
  const approvedSync = await acknowledged(stack, APPROVED)
  expect(
    approved.state === 'SYNCED' && approvedSync?.notify?.state === 'ACKNOWLEDGED',
    `${APPROVED} is SYNCED: the platform approved it and notifyBenefitSync was acknowledged`,
    `${APPROVED} should be SYNCED through notifyBenefitSync, but it is ${approved.state} (notify ${approvedSync?.notify?.state ?? 'not sent'})`,
  )

  timeline.note('operator', `the platform will refuse the next template (AUDIT_FAIL); creates ${REFUSED}`)
  sandbox.setReviewOutcome({ templateId: REFUSED, outcome: 'AUDIT_FAIL', reason: REFUSAL_REASON })
  await ensureTemplate(connector, templateFile({ id: REFUSED, title: 'Everything free, forever' }))
  const refused = await waitForTemplateState(db, REFUSED, ['SYNCED', 'FAILED'], { timeoutMs: 10_000 })
  await acknowledged(stack, REFUSED)
  expect(
    refused.state === 'FAILED' && refused.sync_fail_code === 'AUDIT_FAIL' && refused.sync_fail_reason === REFUSAL_REASON,
    `${REFUSED} is FAILED with the platform's reason: ${refused.sync_fail_code} "${refused.sync_fail_reason}"`,
    `${REFUSED} should be FAILED with AUDIT_FAIL "${REFUSAL_REASON}", but it is ${refused.state} ${refused.sync_fail_code ?? ''} ${refused.sync_fail_reason ?? ''}`,
  )

  /* ---------------------------------------------------------- Flow 2 */
  timeline.flow = 'issue'
  timeline.step('Flow 2 · issue a benefit: a user collects in the super app → issueBenefit (retries, inquire, reverse)')
  timeline.note('operator', `releases ${APPROVED} in the super app`)
  sandbox.release(APPROVED)
  const before = await issued(db, APPROVED)
  const alice: CollectResult = await sandbox.collect({ userId: 'alice', templateId: APPROVED })
  const aliceCode = alice.benefitDetails[0]?.benefitCode
  expect(
    alice.outcome === 'ISSUED' && alice.benefitDetails.length === 1 && aliceCode !== undefined && (await issued(db, APPROVED)) === before + 1,
    `alice holds 1 voucher (code ${masked(aliceCode)}); stock taken: ${before} → ${before + 1} issued`,
    `alice's collect should be ISSUED with 1 instance, got ${alice.outcome} ${alice.code} with ${alice.benefitDetails.length}`,
  )

  timeline.note(
    'operator',
    `faults: the next ${ISSUE_RETRIES + 1} issueBenefit answers and ${INQUIRE_RETRIES + 1} inquireBenefitIssue answers are lost on the way back`,
  )
  sandbox.injectFault({ api: 'issueBenefit', kind: 'loseAnswer', times: ISSUE_RETRIES + 1 })
  sandbox.injectFault({ api: 'inquireBenefitIssue', kind: 'loseAnswer', times: INQUIRE_RETRIES + 1 })
  const beforeBob = await issued(db, APPROVED)
  const bob = await sandbox.collect({ userId: 'bob', templateId: APPROVED })
  const bobApis = bob.attempts.map((a) => a.api)
  const count = (api: string) => bobApis.filter((a) => a === api).length
  const bobIssuing = await db.selectFrom('issuings').select(['state']).where('request_id', '=', bob.benefitIssueRequestId).executeTakeFirst()
  const afterBob = await issued(db, APPROVED)
  expect(
    bob.outcome === 'REVERSED' &&
      count('issueBenefit') === ISSUE_RETRIES + 1 &&
      count('inquireBenefitIssue') === INQUIRE_RETRIES + 1 &&
      count('reverseBenefitIssue') >= 1 &&
      bobIssuing?.state === 'REVERSED' &&
      afterBob === beforeBob,
    `bob's collect ended REVERSED after ${count('issueBenefit')} issueBenefit, ${count('inquireBenefitIssue')} inquireBenefitIssue, ${count('reverseBenefitIssue')} reverseBenefitIssue; stock restored (${afterBob} issued)`,
    `bob's collect should be REVERSED after ${ISSUE_RETRIES + 1} issues and ${INQUIRE_RETRIES + 1} inquiries with the stock restored; got ${bob.outcome} (${bob.code}: ${bob.message}) after [${bobApis.join(', ')}], connector issuing ${bobIssuing?.state ?? 'missing'}, issued ${beforeBob} → ${afterBob}`,
  )

  timeline.note('operator', 'asks the connector about both collects (inquireBenefitIssue)')
  const aliceInquiry = await sandbox.inquireIssue(alice.benefitIssueRequestId)
  const bobInquiry = await sandbox.inquireIssue(bob.benefitIssueRequestId)
  expect(
    aliceInquiry.status === 'S' &&
      aliceInquiry.benefitDetails?.[0]?.status === 'ACTIVATED' &&
      bobInquiry.status === 'S' &&
      bobInquiry.benefitDetails?.[0]?.status === 'REVERSED',
    "inquiry: alice's voucher is ACTIVATED, bob's is REVERSED",
    `inquiry should say ACTIVATED for alice and REVERSED for bob; got ${aliceInquiry.status} ${aliceInquiry.code} ${aliceInquiry.benefitDetails?.[0]?.status ?? '-'} and ${bobInquiry.status} ${bobInquiry.code} ${bobInquiry.benefitDetails?.[0]?.status ?? '-'}`,
  )

  /* ---------------------------------------------------------- Flow 3 */
  timeline.flow = 'redeem'
  timeline.step('Flow 3 · redeem: checkout → SDK (fetch) → connector → outbox → syncUsedBenefit, through a platform outage')
  const key = await createApiKey(db, { name: 'demo-checkout' })
  const checkout = createRedemptionClient({
    baseUrl: stack.connectorUrl,
    auth: { apiKey: key.secret },
    transport: timeline.transport(fetchTransport()),
  })
  const looked = await checkout.lookup({ benefitCode: aliceCode! })
  expect(
    looked.redeemable && looked.instance.status === 'ACTIVATED',
    `lookup: alice's voucher is redeemable (${looked.instance.amount ? formatAmount(looked.instance.amount) : 'no amount'} off)`,
    `lookup should say redeemable, got redeemable=${looked.redeemable} ${looked.reason ?? ''} status ${looked.instance.status}`,
  )

  sandbox.setOutage(true)
  const usedBefore = sandbox.state.usedSyncs.length
  const redeemed = await checkout.redeem({ benefitCode: aliceCode!, userId: 'alice', orderId: 'order-1001' }, { idempotencyKey: 'demo-order-1001' })
  const row = await db
    .selectFrom('redemptions')
    .select(['use_request_id'])
    .where('id', '=', redeemed.redemption.redemptionId)
    .executeTakeFirst()
  expect(
    redeemed.instance.status === 'USED' && row !== undefined,
    `redeemed at once (${redeemed.redemption.redemptionId}); syncUsedBenefit ${row?.use_request_id ?? ''} waits in the outbox`,
    `redeem should answer USED with a redemption row, got ${redeemed.instance.status}`,
  )
  const useRequestId = row!.use_request_id

  const failedAttempts = () =>
    db
      .selectFrom('outbox')
      .select(['attempts', 'state'])
      .where('api', '=', 'syncUsedBenefit')
      .where('idempotency_id', '=', useRequestId)
      .executeTakeFirst()
  await waitUntil('3 failed syncUsedBenefit deliveries during the outage', async () => {
    const r = await failedAttempts()
    return r !== undefined && r.attempts >= 3 && r.state === 'pending'
  })
  timeline.note('operator', 'the platform is back; its first answer will be a SYSTEM_ERROR (U), once')
  sandbox.injectFault({ api: 'syncUsedBenefit', kind: 'code', code: 'SYSTEM_ERROR', times: 1 })
  sandbox.setOutage(false)
  const used = await waitUntil('syncUsedBenefit to reach the platform', () =>
    sandbox.state.usedSyncs.find((u) => u.benefitUseRequestId === useRequestId && u.resultCode === 'SUCCESS'),
  )
  const delivered = await waitUntil('the outbox row to be delivered', async () => {
    const r = await failedAttempts()
    return r?.state === 'delivered' ? r : undefined
  })
  const bodies = used.bodies
  const instance = sandbox.state.instances.find((i) => i.benefitInstanceId === redeemed.instance.benefitInstanceId)
  expect(
    sandbox.state.usedSyncs.length === usedBefore + 1 && bodies.length >= 2 && bodies.every((b) => b === bodies[0]) && instance?.status === 'USED',
    `syncUsedBenefit delivered on attempt ${delivered.attempts} after the outage; the platform got the same body all ${bodies.length} times it could read it; the wallet shows USED`,
    `syncUsedBenefit should be delivered after the outage with the same body every time and the instance USED in the wallet; got ${bodies.length} bodies (${new Set(bodies).size} different), wallet ${instance?.status ?? 'missing'}`,
  )

  timeline.note('checkout', 'repeats the redeem with the same Idempotency-Key (a retry after a lost answer)')
  const again = await checkout.redeem({ benefitCode: aliceCode!, userId: 'alice', orderId: 'order-1001' }, { idempotencyKey: 'demo-order-1001' })
  let secondUse = 'none'
  try {
    await checkout.redeem({ benefitCode: aliceCode!, orderId: 'order-1002' })
  } catch (error) {
    secondUse = isBenefitKitError(error) ? error.code : String(error)
  }
  expect(
    again.replayed && again.redemption.redemptionId === redeemed.redemption.redemptionId && secondUse === 'BENEFIT_ALREADY_USED',
    'the retry got the first answer back (replayed); a new order with the same code is refused: BENEFIT_ALREADY_USED',
    `a retry should replay the first answer and a second order should get BENEFIT_ALREADY_USED; got replayed=${again.replayed}, second order: ${secondUse}`,
  )
} catch (error) {
  failure = error as Error
} finally {
  await stack?.stop().catch((error: Error) => {
    failure ??= new Error(`stopping the connector and sandbox failed: ${error.message}`)
  })
  await new Promise<void>((done) => log.end(done))
}

const durationMs = Date.now() - timeline.started
const flows = ['sync', 'issue', 'redeem'].map((flow) => {
  const checks = timeline.entries.filter((e) => e.flow === flow && e.kind === 'check')
  return { flow, ok: checks.length > 0 && checks.every((c) => c.ok), checks: checks.map((c) => ({ ok: c.ok, text: c.text })) }
})
const ok = failure === undefined && flows.every((f) => f.ok)
if (!args.keep && ok) rmSync(dir, { recursive: true, force: true })

if (args.json) {
  process.stdout.write(
    `${JSON.stringify(
      { ok, durationMs, ...(failure ? { error: failure.message } : {}), ...(args.keep || !ok ? { dataDir: dir } : {}), flows, timeline: timeline.entries },
      null,
      2,
    )}\n`,
  )
} else if (ok) {
  process.stdout.write(`\nAll three flows behaved as they should (${(durationMs / 1000).toFixed(1)} s).\n`)
} else {
  const message = failure instanceof DemoFailure ? failure.message : `${failure?.stack ?? failure?.message ?? 'a flow had no checks'}`
  process.stderr.write(`\ndemo FAILED in flow "${timeline.flow}": ${message}\nstate and connector.log kept in ${dir}\n`)
}
process.exit(ok ? 0 : 1)
