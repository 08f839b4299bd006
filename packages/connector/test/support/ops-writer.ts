/**
 * A separate process writing to the connector's database as the daemon would:
 * one committed outbox row per transaction, as fast as it can, reporting
 * `committed <id>` on stdout after each batch so the parent knows what was
 * durable before it started a backup. Runs until killed.
 *
 * usage: node --import tsx ops-writer.ts DB_FILE
 */
import { openDatabase } from '../../src/db/open.js'

const file = process.argv[2]
if (!file) throw new Error('usage: ops-writer.ts DB_FILE')
const { sqlite } = openDatabase(file, { synchronous: 'NORMAL' })
// Committed rows stay in the WAL (as they do while a checkpoint is held back by
// readers): a backup that copied only the main file would miss them.
sqlite.pragma('wal_autocheckpoint = 100000')
const insert = sqlite.prepare(
  `insert into outbox (api, idempotency_id, body, ordering_key, state, attempts, next_attempt_at, created_at, updated_at)
   values ('syncUsedBenefit', ?, ?, null, 'delivered', 1, 0, ?, ?)`,
)
const padding = 'x'.repeat(900)
let n = 0
function batch(): void {
  let last = 0
  for (let i = 0; i < 20; i++) {
    n++
    const now = Date.now()
    last = Number(insert.run(`load-${process.pid}-${n}`, `{"pad":"${padding}","n":${n}}`, now, now).lastInsertRowid)
  }
  process.stdout.write(`committed ${last}\n`)
  setImmediate(batch)
}
process.stdout.write('ready\n')
batch()
