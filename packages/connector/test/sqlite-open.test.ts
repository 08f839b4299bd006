import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DAEMON_CHECKPOINT_PAGES, openDatabase } from '../src/db/open.js'

test('openDatabase: WAL, temp_store in memory, SQLite’s checkpoint size unless the daemon asks for its own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'benefitkit-open-'))
  try {
    const cli = openDatabase(join(dir, 'a.db'))
    assert.is(cli.sqlite.pragma('journal_mode', { simple: true }), 'wal')
    assert.is(cli.sqlite.pragma('temp_store', { simple: true }), 2, 'MEMORY: savepoint journals never spill to a file')
    assert.is(cli.sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000)
    await cli.close()
    const daemon = openDatabase(join(dir, 'b.db'), { syncInBackground: true, walAutocheckpointPages: DAEMON_CHECKPOINT_PAGES })
    assert.is(daemon.sqlite.pragma('wal_autocheckpoint', { simple: true }), DAEMON_CHECKPOINT_PAGES)
    await daemon.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
