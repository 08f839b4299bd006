import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Koa from 'koa'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ConnectorContext } from '../src/context.js'
import { NOT_SYNCED, WalSync, type Durability } from '../src/db/durability.js'
import { openDatabase } from '../src/db/open.js'
import { durableAnswers } from '../src/http/durable-answers.js'
import { createLogger } from '../src/logger.js'

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'benefitkit-durability-'))
}

test('WalSync: settled() is immediate with nothing committed, and waits for a sync after a commit', async () => {
  const dir = tempDir()
  try {
    const database = openDatabase(join(dir, 'c.db'), { syncInBackground: true })
    const durability = database.durability
    assert.instance(durability, WalSync)
    assert.is(database.sqlite.pragma('synchronous', { simple: true }), 1, 'COMMIT itself runs NORMAL (1): the sync is ours')
    let settled = false
    await durability.settled().then(() => (settled = true))
    assert.ok(settled)

    await database.db.schema.createTable('t').addColumn('a', 'integer').execute()
    const beforeInsert = durability.mark()
    await database.db.insertInto('t' as never).values({ a: 1 } as never).execute()
    assert.is(durability.mark(), beforeInsert + 1, 'the autocommit insert counted as one commit')
    await durability.settled(beforeInsert) // only what was committed before the insert
    settled = false
    const waiting = durability.settled().then(() => (settled = true))
    assert.not.ok(settled, 'a fresh commit is not settled in the same turn: its fdatasync runs in the thread pool')
    await waiting
    assert.ok(settled)
    assert.is(durability.failure, undefined)
    await database.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('WalSync: FULL without the background mode, NORMAL by choice and :memory: keep SQLite inline (nothing to wait for)', async () => {
  const dir = tempDir()
  try {
    const inline = openDatabase(join(dir, 'a.db'))
    assert.is(inline.durability, NOT_SYNCED)
    assert.is(inline.sqlite.pragma('synchronous', { simple: true }), 2, 'FULL')
    await inline.close()
    const normal = openDatabase(join(dir, 'b.db'), { synchronous: 'NORMAL', syncInBackground: true })
    assert.is(normal.durability, NOT_SYNCED)
    await normal.close()
    const memory = openDatabase(':memory:', { syncInBackground: true })
    assert.is(memory.durability, NOT_SYNCED)
    await memory.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('WalSync: a failed sync rejects its waiters and every later settled(): nothing is acknowledged again', async () => {
  const dir = tempDir()
  try {
    // No -wal file next to this path: the sync cannot open it, as if the disk failed.
    const durability = new WalSync(join(dir, 'missing.db'))
    durability.committed()
    await durability.settled().then(
      () => assert.unreachable('a failed sync must not settle'),
      (error: Error) => assert.match(error.message, /fdatasync of .*missing\.db-wal failed/),
    )
    assert.ok(durability.failure)
    await durability.settled().then(
      () => assert.unreachable('still failed'),
      (error: Error) => assert.is(error, durability.failure),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** A Durability whose sync the test finishes by hand. */
function manualDurability() {
  let finish: ((error?: Error) => void) | undefined
  let pending = false
  const durability: Durability = {
    committed: () => void (pending = true),
    mark: () => 0,
    settled: () =>
      pending
        ? new Promise<void>((resolve, reject) => {
            finish = (error) => (error ? reject(error) : resolve())
          })
        : Promise.resolve(),
    failure: undefined,
    close: () => Promise.resolve(),
  }
  return { durability, finish: (error?: Error) => finish?.(error) }
}

async function serve(durability: Durability, handler: Koa.Middleware) {
  const app = new Koa()
  const context = { durability, logger: createLogger('silent') } as unknown as ConnectorContext
  app.use(durableAnswers(context))
  app.use(handler)
  const server = createServer(app.callback()).listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as AddressInfo).port }
}

function get(port: number): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    request({ port, host: '127.0.0.1', path: '/' }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
      .on('error', (error) => resolve({ error: error.message }))
      .end()
  })
}

test('durableAnswers: the answer to a request that committed leaves only after the sync', async () => {
  const { durability, finish } = manualDurability()
  const { server, port } = await serve(durability, (ctx) => {
    durability.committed()
    ctx.body = 'redeemed'
  })
  try {
    let answered = false
    const answer = get(port).then((a) => ((answered = true), a))
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.not.ok(answered, 'no answer before the commit is on disk')
    finish()
    assert.equal(await answer, { status: 200, body: 'redeemed' })
  } finally {
    server.closeAllConnections()
    server.close()
  }
})

test('durableAnswers: when the sync fails the caller gets no answer at all, so it retries', async () => {
  const { durability, finish } = manualDurability()
  const { server, port } = await serve(durability, (ctx) => {
    durability.committed()
    ctx.body = 'redeemed'
  })
  try {
    const answer = get(port)
    await new Promise((resolve) => setTimeout(resolve, 20))
    finish(new Error('EIO'))
    const outcome = await answer
    assert.ok('error' in outcome, `expected a dropped connection, got ${JSON.stringify(outcome)}`)
  } finally {
    server.closeAllConnections()
    server.close()
  }
})

test.run()
