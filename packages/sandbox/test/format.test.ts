/** The human output of the CLI and of demo timelines. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatCall, formatCollect, formatEvent, formatState } from '../src/index.js'
import { harness } from './support/harness.js'
import { testKeys } from './support/keys.js'

const keys = testKeys()

test('a timeline line says who called whom, the id, the outcome, the attempt and the fault', () => {
  const line = formatCall({
    seq: 3,
    direction: 'outbound',
    from: 'platform',
    to: 'isv',
    api: 'issueBenefit',
    path: '/isv/benefit/issue',
    id: 'iss-1',
    at: new Date().toISOString(),
    durationMs: 4,
    attempt: 2,
    status: 'U',
    code: 'TIMEOUT',
    message: 'answer lost (injected fault)',
    fault: 'loseAnswer (f1)',
  })
  assert.match(line, /platform → ISV\s+issueBenefit\s+iss-1\s+U TIMEOUT\s+#2/)
  assert.match(line, /\[fault: loseAnswer \(f1\)\]/)
  assert.match(line, /answer lost/)
})

test('every event of a real run formats to one line; state and collect read as summaries', async () => {
  const h = await harness(keys, { autoRelease: true })
  try {
    const lines: string[] = []
    h.sandbox.onEvent((e) => lines.push(formatEvent(e)))
    await h.syncApproved('t1')
    const result = await h.sandbox.collect({ userId: 'u1', templateId: 't1' })
    assert.ok(lines.length >= 6)
    assert.ok(lines.every((l) => !l.includes('\n') && !l.includes('undefined')), lines.join('\n'))
    assert.ok(lines.some((l) => /ISV → platform\s+syncBenefit/.test(l)))
    assert.ok(lines.some((l) => /review of t1: SUCCESS/.test(l)))
    assert.ok(lines.some((l) => /u1 collected t1: ISSUED/.test(l)))
    assert.match(formatCollect(result), /^ISSUED/)
    assert.match(formatCollect(result), /instance inst-\d+ {2}ACTIVATED {2}code CODE-/)
    const state = formatState(h.sandbox.state)
    assert.match(state, /t1 {2}SUCCESS {2}released/)
    assert.match(state, /u1: inst-\d+ ACTIVATED/)
  } finally {
    await h.close()
  }
})

test.run()
