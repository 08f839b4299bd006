/**
 * `pnpm demo` as people run it (a child process): exit 0, and a timeline that
 * shows all three flows — the calls in both directions, the faults, the
 * reversal, the outage and the SDK's calls.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { TimelineEntry } from '../scripts/timeline.js'
import { exitOf, runTs } from './support/e2e.js'

const test = suite('pnpm demo (scripts/demo.ts)')

interface DemoReport {
  ok: boolean
  durationMs: number
  error?: string
  flows: Array<{ flow: string; ok: boolean; checks: Array<{ ok: boolean; text: string }> }>
  timeline: TimelineEntry[]
}

test('--json: exits 0 and its timeline shows the three flows', async () => {
  const child = runTs('scripts/demo.ts', ['--json'])
  try {
    const code = await exitOf(child, 60_000)
    const report = JSON.parse(child.lines.join('\n')) as DemoReport
    assert.is(code, 0, `${report.error ?? ''}\n${child.stderr()}`)
    assert.is(report.ok, true)
    assert.equal(
      report.flows.map((f) => [f.flow, f.ok]),
      [
        ['sync', true],
        ['issue', true],
        ['redeem', true],
      ],
    )
    assert.ok(report.flows.every((f) => f.checks.length >= 2))
    assert.ok(report.durationMs < 30_000, `${report.durationMs} ms`)

    const calls = report.timeline.filter((e) => e.kind === 'call')
    const seen = (from: string, api: string, status?: string) =>
      calls.some((c) => c.from === from && c.api === api && (status === undefined || `${c.status} ${c.code}`.startsWith(status)))
    assert.ok(seen('connector', 'syncBenefit', 'S'))
    assert.ok(seen('platform', 'notifyBenefitSync', 'S'))
    assert.ok(seen('platform', 'issueBenefit', 'S'))
    assert.ok(seen('platform', 'issueBenefit', 'U TIMEOUT'))
    assert.ok(seen('platform', 'inquireBenefitIssue', 'U TIMEOUT'))
    assert.ok(seen('platform', 'reverseBenefitIssue', 'S'))
    assert.ok(seen('checkout', 'lookup', '200'))
    assert.ok(seen('checkout', 'redeem', '200'))
    assert.ok(seen('checkout', 'redeem', '409 BENEFIT_ALREADY_USED'))
    assert.ok(seen('connector', 'syncUsedBenefit', 'U HTTP_503'))
    assert.ok(seen('connector', 'syncUsedBenefit', 'S SUCCESS'))
    const notes = report.timeline.filter((e) => e.kind === 'event').map((e) => e.text)
    assert.ok(notes.some((t) => /AUDIT_FAIL/.test(t)), notes.join('\n'))
    assert.ok(notes.some((t) => /OUTAGE begins/.test(t)))
    assert.ok(notes.some((t) => /REVERSED/.test(t)))
    // Every entry has its time since the start.
    assert.ok(report.timeline.every((e) => Number.isFinite(e.t) && e.t >= 0))
  } finally {
    child.kill()
  }
})

test.run()
