import { sql, type Kysely, type QueryResult } from 'kysely'
import type { Database, InstanceRow, IssuingTable } from '../db/schema.js'
import { prepareQuery, type Param, type QueryRunner } from '../db/prepared.js'

/** Every column of an issuing is set when it is claimed. */
export type NewIssuing = IssuingTable

/** The columns of a new instance, in the order the insert lists them. */
const INSTANCE_COLUMNS = [
  'id',
  'issuing_id',
  'template_id',
  'user_id',
  'client_code',
  'state',
  'code',
  'pin',
  'url',
  'activate_time',
  'expire_time',
  'activate_at',
  'expire_at',
  'amount_currency',
  'amount_value',
  'created_at',
  'used_at',
  'reversed_at',
] as const satisfies ReadonlyArray<keyof InstanceRow>

/**
 * Inserts of up to this many instances are compiled once (lazily, per row
 * count); larger issuings (up to 100) are rare and built per call.
 */
export const MAX_PREPARED_INSTANCE_ROWS = 10

/** A multi-row instances insert compiled once: each parameter is one column of one row. */
interface PreparedInstanceInsert {
  readonly sql: string
  run(runner: QueryRunner, rows: readonly InstanceRow[]): Promise<QueryResult<unknown>>
}

/**
 * The statements of the issueBenefit hot path, built and compiled once per
 * connector (see db/prepared.ts): only the values change per call. Plain
 * kysely, so a PostgreSQL dialect compiles the same queries, and the SQL text
 * is exactly what the builder produced per call before.
 */
export function createIssuingQueries(db: Kysely<Database>) {
  const instanceInserts: Array<PreparedInstanceInsert | undefined> = []
  return {
    /** The guard against issuing twice: DO NOTHING when the id is already there. */
    claim: prepareQuery((p: Param<NewIssuing>) =>
      db
        .insertInto('issuings')
        .values({
          request_id: p('request_id'),
          state: p('state'),
          user_id: p('user_id'),
          template_id: p('template_id'),
          quantity: p('quantity'),
          client_code: p('client_code'),
          fingerprint: p('fingerprint'),
          answer_json: p('answer_json'),
          created_at: p('created_at'),
          reversed_at: p('reversed_at'),
        })
        .onConflict((oc) => oc.column('request_id').doNothing()),
    ),
    /** Takes `quantity` of the stock of a SYNCED template, unless that passes its total. */
    takeStock: prepareQuery((p: Param<{ id: string; quantity: number }>) =>
      db
        .updateTable('templates')
        .set({ issued_quantity: sql`issued_quantity + ${p('quantity')}` })
        .where('id', '=', p('id'))
        .where('state', '=', 'SYNCED')
        .where(sql<boolean>`issued_quantity + ${p('quantity')} <= total_quantity`),
    ),
    giveBackStock: prepareQuery((p: Param<{ id: string; quantity: number }>) =>
      db
        .updateTable('templates')
        .set({ issued_quantity: sql`issued_quantity - ${p('quantity')}` })
        .where('id', '=', p('id')),
    ),
    stockOf: prepareQuery((p: Param<{ id: string }>) =>
      db.selectFrom('templates').select(['total_quantity', 'issued_quantity']).where('id', '=', p('id')),
    ),
    /**
     * The user's count goes up by `issued` unless that passes `limit`: no row
     * inserted or updated then. Only templates with a per-user limit keep counts.
     */
    takeAllowance: prepareQuery((p: Param<{ template_id: string; user_id: string; issued: number; limit: number }>) =>
      db
        .insertInto('user_template_counts')
        .values({ template_id: p('template_id'), user_id: p('user_id'), issued: p('issued') })
        .onConflict((oc) =>
          oc
            .columns(['template_id', 'user_id'])
            .doUpdateSet({ issued: sql`user_template_counts.issued + excluded.issued` })
            .where(sql<boolean>`user_template_counts.issued + excluded.issued <= ${p('limit')}`),
        ),
    ),
    /** Up to `limit` free pool codes of a template, in import order. */
    freePoolCodes: prepareQuery((p: Param<{ template_id: string; limit: number }>) =>
      db
        .selectFrom('template_codes')
        .select(['code', 'pin'])
        .where('template_id', '=', p('template_id'))
        .where('instance_id', 'is', null)
        .orderBy('seq')
        .limit(p('limit')),
    ),
    /** Conditional: a code another transaction took meanwhile updates nothing. */
    claimPoolCode: prepareQuery((p: Param<{ template_id: string; code: string; instance_id: string }>) =>
      db
        .updateTable('template_codes')
        .set({ instance_id: p('instance_id') })
        .where('template_id', '=', p('template_id'))
        .where('code', '=', p('code'))
        .where('instance_id', 'is', null),
    ),
    storeAnswer: prepareQuery((p: Param<{ request_id: string; answer_json: string }>) =>
      db.updateTable('issuings').set({ answer_json: p('answer_json') }).where('request_id', '=', p('request_id')),
    ),
    reject: prepareQuery((p: Param<{ request_id: string; answer_json: string }>) =>
      db.updateTable('issuings').set({ state: 'REJECTED', answer_json: p('answer_json') }).where('request_id', '=', p('request_id')),
    ),
    issuing: prepareQuery((p: Param<{ request_id: string }>) =>
      db
        .selectFrom('issuings')
        .select(['state', 'fingerprint', 'answer_json', 'user_id', 'template_id', 'quantity', 'client_code'])
        .where('request_id', '=', p('request_id')),
    ),
    /**
     * Inserts `instances` (all columns of each): one statement compiled once per
     * row count up to MAX_PREPARED_INSTANCE_ROWS, built per call beyond.
     */
    insertInstances(runner: QueryRunner, instances: readonly InstanceRow[]): Promise<QueryResult<unknown>> {
      const n = instances.length
      if (n > MAX_PREPARED_INSTANCE_ROWS) return runner.executeQuery(db.insertInto('instances').values(instances).compile())
      let insert = instanceInserts[n]
      if (!insert) insert = instanceInserts[n] = prepareInstanceInsert(db, n)
      return insert.run(runner, instances)
    },
  }
}

export type IssuingQueries = ReturnType<typeof createIssuingQueries>

/**
 * The insert of `n` instances, compiled once with a marker in every value; the
 * markers say which row and column each parameter takes, so a call only
 * copies values into a new parameter array.
 */
function prepareInstanceInsert(db: Kysely<Database>, n: number): PreparedInstanceInsert {
  const marker = (row: number, column: number) => `\u0000instance:${row}:${column}`
  const rows = Array.from({ length: n }, (_, row) =>
    Object.fromEntries(INSTANCE_COLUMNS.map((column, c) => [column, marker(row, c)])),
  ) as unknown as InstanceRow[]
  const compiled = db.insertInto('instances').values(rows).compile()
  const slots = compiled.parameters.map((value) => {
    const match = typeof value === 'string' ? /^\u0000instance:(\d+):(\d+)$/.exec(value) : null
    if (!match) throw new Error(`instances insert: unexpected parameter ${String(value)}`)
    return { row: Number(match[1]), column: INSTANCE_COLUMNS[Number(match[2])]! }
  })
  return {
    sql: compiled.sql,
    run(runner, instances) {
      const parameters = slots.map((slot) => instances[slot.row]![slot.column] ?? null)
      return runner.executeQuery({ query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters })
    },
  }
}
