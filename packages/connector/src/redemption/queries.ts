import type { Kysely } from 'kysely'
import type { Database, IdempotencyKeyTable, RedemptionTable } from '../db/schema.js'
import { prepareQuery, type Param } from '../db/prepared.js'

/** The instance columns a redeem or lookup needs, plus the template's title. */
const INSTANCE_COLUMNS = [
  'instances.id',
  'instances.template_id',
  'instances.user_id',
  'instances.client_code',
  'instances.state',
  'instances.code',
  'instances.pin',
  'instances.url',
  'instances.activate_time',
  'instances.expire_time',
  'instances.activate_at',
  'instances.expire_at',
  'instances.amount_currency',
  'instances.amount_value',
  'templates.title',
] as const

/** Every column is set on insert, so the table types themselves describe a new row. */
export type NewRedemption = RedemptionTable
export type NewIdempotencyRecord = IdempotencyKeyTable

/**
 * Every statement of the redemption hot paths, compiled once per connector.
 * Plain kysely, so a PostgreSQL dialect compiles the same queries.
 */
export function createRedemptionQueries(db: Kysely<Database>) {
  const instances = () =>
    db.selectFrom('instances').leftJoin('templates', 'templates.id', 'instances.template_id').select(INSTANCE_COLUMNS)
  return {
    instanceByCode: prepareQuery((p: Param<{ code: string }>) => instances().where('instances.code', '=', p('code'))),
    instanceById: prepareQuery((p: Param<{ id: string }>) => instances().where('instances.id', '=', p('id'))),
    stateOf: prepareQuery((p: Param<{ id: string }>) => db.selectFrom('instances').select('state').where('id', '=', p('id'))),
    /** The guard against double spending: only one of any number of concurrent updates matches. */
    markUsed: prepareQuery((p: Param<{ id: string; now: number }>) =>
      db.updateTable('instances').set({ state: 'USED', used_at: p('now') }).where('id', '=', p('id')).where('state', '=', 'ACTIVATED'),
    ),
    insertRedemption: prepareQuery((p: Param<NewRedemption>) =>
      db.insertInto('redemptions').values({
        id: p('id'),
        instance_id: p('instance_id'),
        template_id: p('template_id'),
        user_id: p('user_id'),
        use_scene: p('use_scene'),
        used_amount_json: p('used_amount_json'),
        order_id: p('order_id'),
        store_id: p('store_id'),
        api_key_id: p('api_key_id'),
        use_request_id: p('use_request_id'),
        redeemed_at: p('redeemed_at'),
      }),
    ),
    findIdempotency: prepareQuery((p: Param<{ scope: string; key: string }>) =>
      db
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'status_code', 'response_json'])
        .where('scope', '=', p('scope'))
        .where('key', '=', p('key')),
    ),
    /** DO NOTHING on a conflict: another replica (PostgreSQL) stored the key first. */
    insertIdempotency: prepareQuery((p: Param<NewIdempotencyRecord>) =>
      db
        .insertInto('idempotency_keys')
        .values({
          scope: p('scope'),
          key: p('key'),
          fingerprint: p('fingerprint'),
          status_code: p('status_code'),
          response_json: p('response_json'),
          created_at: p('created_at'),
          expires_at: p('expires_at'),
        })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing()),
    ),
    /** A replayed nonce inserts nothing. */
    insertNonce: prepareQuery((p: Param<{ key_id: string; nonce: string; expires_at: number }>) =>
      db
        .insertInto('api_nonces')
        .values({ key_id: p('key_id'), nonce: p('nonce'), expires_at: p('expires_at') })
        .onConflict((oc) => oc.columns(['key_id', 'nonce']).doNothing()),
    ),
    apiKeyById: prepareQuery((p: Param<{ id: string }>) =>
      db.selectFrom('api_keys').select(['id', 'secret_hash', 'revoked_at', 'last_used_at']).where('id', '=', p('id')),
    ),
  }
}

export type RedemptionQueries = ReturnType<typeof createRedemptionQueries>
export type InstanceRecord = Awaited<ReturnType<RedemptionQueries['instanceByCode']['run']>>['rows'][number]
