import { randomUUID } from 'node:crypto'
import { formatProtocolTime } from '@benefitkit/shared'
import type { Db, InstanceRow } from '@benefitkit/connector'

/**
 * Rows for redemption tests and benchmarks, inserted directly: a SYNCED
 * template, one issuing per call and its instances, as issueBenefit would
 * leave them.
 */

const DAY = 86_400_000

export interface SeedTemplateOptions {
  id?: string
  title?: string
  clientCode?: string
  codeType?: 'CODE' | 'CODE_AND_PIN' | 'URL'
  amount?: { currency: string; value: string }
  now?: number
}

export async function seedTemplate(db: Db, options: SeedTemplateOptions = {}): Promise<string> {
  const now = options.now ?? Date.now()
  const id = options.id ?? `tpl_${randomUUID().slice(0, 8)}`
  const amount = options.amount ?? { currency: 'HKD', value: '1000' }
  await db
    .insertInto('templates')
    .values({
      id,
      state: 'SYNCED',
      sync_request_id: `sync_${id}`,
      product_code: 'SPICE_SECRET_VOUCHER',
      title: options.title ?? 'HKD 10 off',
      client_code: options.clientCode ?? 'ALIPAY_HK',
      begin_time: formatProtocolTime(now - DAY, 480),
      end_time: formatProtocolTime(now + 30 * DAY, 480),
      begin_at: now - DAY,
      end_at: now + 30 * DAY,
      valid_period_json: JSON.stringify({ type: 'RELATIVE', validDays: 30 }),
      content_json: JSON.stringify({ amount, codeType: options.codeType ?? 'CODE' }),
      code_type: options.codeType ?? 'CODE',
      total_quantity: 1_000_000,
      issued_quantity: 0,
      per_user_limit: null,
      sync_fail_code: null,
      sync_fail_reason: null,
      created_at: now,
      updated_at: now,
      synced_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
  return id
}

export interface SeedInstanceOptions {
  id?: string
  code?: string
  /** A PIN makes it a CODE_AND_PIN instance. */
  pin?: string | null
  /** A URL makes it a URL instance (`code` is then the token inside it). */
  url?: string | null
  userId?: string
  clientCode?: string
  state?: 'ACTIVATED' | 'USED' | 'REVERSED'
  activateAt?: number
  expireAt?: number
  amount?: { currency: string; value: string } | null
}

export interface SeededInstance {
  id: string
  code: string
  pin: string | null
  url: string | null
  userId: string
  templateId: string
  clientCode: string
}

export interface SeedOptions {
  templateId?: string
  /** The clock the rows are stamped with (defaults to Date.now()). */
  now?: number
}

/** Inserts instances (one issuing for all of them) in one transaction; fast enough for 100 000 rows. */
export async function seedInstances(db: Db, instances: SeedInstanceOptions[], options: SeedOptions = {}): Promise<SeededInstance[]> {
  const now = options.now ?? Date.now()
  const templateId = options.templateId ?? (await seedTemplate(db, { now }))
  const issuingId = `iss_${randomUUID()}`
  const rows = instances.map((o) => {
    const activateAt = o.activateAt ?? now - DAY
    const expireAt = o.expireAt ?? now + 30 * DAY
    const amount = o.amount === undefined ? { currency: 'HKD', value: '1000' } : o.amount
    return {
      id: o.id ?? `bi_${randomUUID()}`,
      issuing_id: issuingId,
      template_id: templateId,
      user_id: o.userId ?? '2088000000000001',
      client_code: o.clientCode ?? 'ALIPAY_HK',
      state: o.state ?? 'ACTIVATED',
      code: o.code ?? `C${randomUUID().replaceAll('-', '').toUpperCase()}`,
      pin: o.pin ?? null,
      url: o.url ?? null,
      activate_time: formatProtocolTime(activateAt, 480),
      expire_time: formatProtocolTime(expireAt, 480),
      activate_at: activateAt,
      expire_at: expireAt,
      amount_currency: amount?.currency ?? null,
      amount_value: amount?.value ?? null,
      created_at: now,
      used_at: o.state === 'USED' ? now : null,
      reversed_at: o.state === 'REVERSED' ? now : null,
    } satisfies InstanceRow
  })
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('issuings')
      .values({
        request_id: issuingId,
        state: 'ISSUED',
        user_id: rows[0]?.user_id ?? null,
        template_id: templateId,
        quantity: rows.length,
        client_code: rows[0]?.client_code ?? null,
        fingerprint: null,
        answer_json: null,
        created_at: now,
        reversed_at: null,
      })
      .execute()
    // SQLite allows at most 32 766 bound values per statement: 18 columns × 500 rows stays under.
    for (let i = 0; i < rows.length; i += 500) await trx.insertInto('instances').values(rows.slice(i, i + 500)).execute()
  })
  return rows.map((r) => ({ id: r.id, code: r.code, pin: r.pin, url: r.url, userId: r.user_id, templateId, clientCode: r.client_code }))
}

export async function seedInstance(db: Db, instance: SeedInstanceOptions = {}, options: SeedOptions = {}): Promise<SeededInstance> {
  const [seeded] = await seedInstances(db, [instance], options)
  return seeded!
}
