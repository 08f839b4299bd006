import type { Generated, Insertable, Selectable, Updateable } from 'kysely'

/**
 * The connector's tables. Times are epoch milliseconds (INTEGER) unless the
 * column name ends in `_time`, which holds the protocol string exactly as sent.
 * Booleans are 0/1. JSON columns end in `_json`.
 */
export interface Database {
  templates: TemplateTable
  template_codes: TemplateCodeTable
  user_template_counts: UserTemplateCountTable
  issuings: IssuingTable
  instances: InstanceTable
  redemptions: RedemptionTable
  idempotency_keys: IdempotencyKeyTable
  api_keys: ApiKeyTable
  api_nonces: ApiNonceTable
  outbox: OutboxTable
  settings: SettingTable
}

export const TEMPLATE_STATES = ['DRAFT', 'SYNCING', 'SYNCED', 'FAILED'] as const
export type TemplateState = (typeof TEMPLATE_STATES)[number]

export interface TemplateTable {
  /** benefitTemplateId */
  id: string
  state: TemplateState
  /** benefitSyncRequestId of the syncBenefit that carries this template. */
  sync_request_id: string
  product_code: string
  title: string
  client_code: string
  /** Collection window, protocol strings and epoch ms. */
  begin_time: string
  end_time: string
  begin_at: number
  end_at: number
  /** BenefitValidPeriod as JSON. */
  valid_period_json: string
  /** BenefitContent as JSON (amount, description, useScene, codeType). */
  content_json: string
  code_type: 'CODE' | 'CODE_AND_PIN' | 'URL'
  total_quantity: number
  /** Live issued count: issued minus reversed. Stock left = total_quantity - issued_quantity. */
  issued_quantity: number
  per_user_limit: number | null
  sync_fail_code: string | null
  sync_fail_reason: string | null
  created_at: number
  updated_at: number
  synced_at: number | null
}

/** Codes the ISV imported (from a merchant); used before generated ones. */
export interface TemplateCodeTable {
  template_id: string
  code: string
  pin: string | null
  /** The instance that took it; NULL while free. */
  instance_id: string | null
  seq: Generated<number>
}

export interface UserTemplateCountTable {
  template_id: string
  user_id: string
  /** Live count: issued minus reversed. */
  issued: number
}

export const ISSUING_STATES = ['ISSUED', 'REJECTED', 'REVERSED', 'TOMBSTONE'] as const
export type IssuingState = (typeof ISSUING_STATES)[number]

/** One row per benefitIssueRequestId: the idempotency record of issueBenefit and reverseBenefitIssue. */
export interface IssuingTable {
  request_id: string
  /**
   * ISSUED: instances exist. REJECTED: an F answer was given and is replayed.
   * REVERSED: reversed after issuing. TOMBSTONE: reversed before any issuing —
   * a late issueBenefit with this id issues nothing.
   */
  state: IssuingState
  user_id: string | null
  template_id: string | null
  quantity: number | null
  client_code: string | null
  /** keyParameterFingerprint of the issueBenefit that created the row. */
  fingerprint: string | null
  /** The answer body's result fields + benefitDetails, replayed on repeats (JSON). */
  answer_json: string | null
  created_at: number
  reversed_at: number | null
}

export const INSTANCE_STATES = ['ACTIVATED', 'USED', 'REVERSED'] as const
export type InstanceState = (typeof INSTANCE_STATES)[number]

export interface InstanceTable {
  /** benefitInstanceId */
  id: string
  issuing_id: string
  template_id: string
  user_id: string
  client_code: string
  /** EXPIRED is never stored: it is ACTIVATED past expire_at. */
  state: InstanceState
  /** The redeemable code (for URL benefits, the token inside the URL). Unique. */
  code: string
  pin: string | null
  url: string | null
  activate_time: string
  expire_time: string
  activate_at: number
  expire_at: number
  amount_currency: string | null
  amount_value: string | null
  created_at: number
  used_at: number | null
  reversed_at: number | null
}

export interface RedemptionTable {
  id: string
  instance_id: string
  template_id: string
  user_id: string
  use_scene: string
  used_amount_json: string | null
  order_id: string | null
  store_id: string | null
  api_key_id: string | null
  /** benefitUseRequestId of the syncUsedBenefit it enqueued. */
  use_request_id: string
  redeemed_at: number
}

export interface IdempotencyKeyTable {
  /** Whose key: the API key id. */
  scope: string
  key: string
  /** Hash of method, path and body: the same key with another request is refused. */
  fingerprint: string
  status_code: number
  response_json: string
  created_at: number
  expires_at: number
}

export interface ApiKeyTable {
  id: string
  name: string
  /** hex SHA-256 of the secret; the secret itself is shown once and never stored. */
  secret_hash: string
  created_at: number
  revoked_at: number | null
  last_used_at: number | null
}

export interface ApiNonceTable {
  key_id: string
  nonce: string
  expires_at: number
}

export const OUTBOX_STATES = ['pending', 'in_flight', 'delivered', 'dead'] as const
export type OutboxState = (typeof OUTBOX_STATES)[number]

export interface OutboxTable {
  id: Generated<number>
  /** A platform API name: syncBenefit | syncUsedBenefit. */
  api: string
  /** The body's idempotency id; (api, idempotency_id) is unique. */
  idempotency_id: string
  /** The exact body, sent byte-identical on every attempt. */
  body: string
  /** Rows with the same key keep their order where it matters (the template id). */
  ordering_key: string | null
  state: OutboxState
  attempts: number
  next_attempt_at: number
  lease_owner: string | null
  lease_until: number | null
  last_code: string | null
  last_error: string | null
  created_at: number
  updated_at: number
  delivered_at: number | null
  /** When an operator last replayed the row; its retry horizon counts from here. */
  replayed_at: number | null
}

export interface SettingTable {
  key: string
  value: string
}

export type TemplateRow = Selectable<TemplateTable>
export type NewTemplate = Insertable<TemplateTable>
export type IssuingRow = Selectable<IssuingTable>
export type InstanceRow = Selectable<InstanceTable>
export type NewInstance = Insertable<InstanceTable>
export type RedemptionRow = Selectable<RedemptionTable>
export type ApiKeyRow = Selectable<ApiKeyTable>
export type OutboxRow = Selectable<OutboxTable>
export type NewOutboxRow = Insertable<OutboxTable>
export type OutboxUpdate = Updateable<OutboxTable>
