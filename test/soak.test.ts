import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatReport, runSoak } from '../bench/soak.js'

/**
 * The crash soak of `corepack pnpm soak`, short: about 20 SIGKILLs of a
 * connector child under a mix of issues, reversals and redemptions, then
 * every check of bench/soak.ts (nothing acknowledged lost, no instance used
 * twice, stock consistent, nothing half written, every redemption delivered
 * with the same body). Bounded to stay within a minute on a busy machine.
 */
test('crash soak: ~20 SIGKILLs under load, nothing lost, duplicated or half written', async () => {
  const report = await runSoak({ kills: 20, workers: 6, minUpMs: 150, maxUpMs: 700, timeLimitMs: 35_000 })
  console.log(formatReport(report))
  assert.equal(report.violations, [], 'violations')
  assert.ok(report.kills >= 10, `at least 10 kills happened (${report.kills})`)
  assert.ok(report.issues.acknowledged > 0, 'some issues were acknowledged')
  assert.ok(report.redemptions.acknowledged > 0, 'some redemptions were acknowledged')
  assert.ok(report.reverses.acknowledged > 0, 'some reversals were acknowledged')
  assert.ok(report.platform.syncUsedBenefitAccepted >= report.redemptions.acknowledged, 'every acknowledged redemption reached the platform')
  assert.is(report.outbox.notDelivered, 0, 'outbox drained')
})

test.run()
