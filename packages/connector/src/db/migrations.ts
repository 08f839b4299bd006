import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Inline migrations (a bundled daemon cannot import a folder at run time).
 * Frozen in time: they take Kysely<any> and never import app code. Append new
 * ones with a later date prefix; never edit a released one.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_24_0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('templates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('sync_request_id', 'text', (c) => c.notNull().unique())
        .addColumn('product_code', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('client_code', 'text', (c) => c.notNull())
        .addColumn('begin_time', 'text', (c) => c.notNull())
        .addColumn('end_time', 'text', (c) => c.notNull())
        .addColumn('begin_at', 'bigint', (c) => c.notNull())
        .addColumn('end_at', 'bigint', (c) => c.notNull())
        .addColumn('valid_period_json', 'text', (c) => c.notNull())
        .addColumn('content_json', 'text', (c) => c.notNull())
        .addColumn('code_type', 'text', (c) => c.notNull())
        .addColumn('total_quantity', 'integer', (c) => c.notNull())
        .addColumn('issued_quantity', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('per_user_limit', 'integer')
        .addColumn('sync_fail_code', 'text')
        .addColumn('sync_fail_reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('synced_at', 'bigint')
        .execute()

      await db.schema
        .createTable('template_codes')
        .addColumn('template_id', 'text', (c) => c.notNull().references('templates.id'))
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('pin', 'text')
        .addColumn('instance_id', 'text')
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('template_codes_pk', ['template_id', 'code'])
        .execute()
      await db.schema.createIndex('template_codes_free').on('template_codes').columns(['template_id', 'instance_id', 'seq']).execute()

      await db.schema
        .createTable('user_template_counts')
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('issued', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_template_counts_pk', ['template_id', 'user_id'])
        .execute()

      await db.schema
        .createTable('issuings')
        .addColumn('request_id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('template_id', 'text')
        .addColumn('quantity', 'integer')
        .addColumn('client_code', 'text')
        .addColumn('fingerprint', 'text')
        .addColumn('answer_json', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('reversed_at', 'bigint')
        .execute()

      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('issuing_id', 'text', (c) => c.notNull().references('issuings.request_id'))
        .addColumn('template_id', 'text', (c) => c.notNull().references('templates.id'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('client_code', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('pin', 'text')
        .addColumn('url', 'text')
        .addColumn('activate_time', 'text', (c) => c.notNull())
        .addColumn('expire_time', 'text', (c) => c.notNull())
        .addColumn('activate_at', 'bigint', (c) => c.notNull())
        .addColumn('expire_at', 'bigint', (c) => c.notNull())
        .addColumn('amount_currency', 'text')
        .addColumn('amount_value', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('reversed_at', 'bigint')
        .execute()
      await db.schema.createIndex('instances_issuing').on('instances').column('issuing_id').execute()
      await db.schema.createIndex('instances_user').on('instances').columns(['user_id', 'template_id']).execute()

      await db.schema
        .createTable('redemptions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text', (c) => c.notNull().unique().references('instances.id'))
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('use_scene', 'text', (c) => c.notNull())
        .addColumn('used_amount_json', 'text')
        .addColumn('order_id', 'text')
        .addColumn('store_id', 'text')
        .addColumn('api_key_id', 'text')
        .addColumn('use_request_id', 'text', (c) => c.notNull().unique())
        .addColumn('redeemed_at', 'bigint', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer', (c) => c.notNull())
        .addColumn('response_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
        .execute()
      await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute()

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .execute()

      await db.schema
        .createTable('api_nonces')
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('api_nonces_pk', ['key_id', 'nonce'])
        .execute()
      await db.schema.createIndex('api_nonces_expiry').on('api_nonces').column('expires_at').execute()

      await db.schema
        .createTable('outbox')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('api', 'text', (c) => c.notNull())
        .addColumn('idempotency_id', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('ordering_key', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('last_code', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addUniqueConstraint('outbox_api_idempotency', ['api', 'idempotency_id'])
        .execute()
      await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute()
      await db.schema.createIndex('outbox_ordering').on('outbox').columns(['ordering_key', 'api', 'state']).execute()

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()
      await sql`select 1`.execute(db)
    },
  },
  '2026_11_24_0002_outbox_replayed_at': {
    // A replayed row gets a fresh 72 h retry horizon counted from its replay,
    // while created_at keeps saying when the call was first recorded.
    async up(db: Kysely<any>) {
      await db.schema.alterTable('outbox').addColumn('replayed_at', 'bigint').execute()
    },
  },
  '2026_11_24_0003_issuing_pool_code_unique': {
    // A pool code becomes an instance's code, which is unique across templates:
    // the same merchant code in two pools would make the second issue fail for
    // ever. The index also serves "is this code already pooled?" at import.
    async up(db: Kysely<any>) {
      await db.schema.createIndex('template_codes_code').on('template_codes').column('code').unique().execute()
    },
  },
}
