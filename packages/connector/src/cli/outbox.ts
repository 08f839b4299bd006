import { defineCommand } from 'citty'
import { OUTBOX_STATES, type OutboxState } from '../db/schema.js'
import { getOutboxRow, listOutbox } from '../outbox/queries.js'
import { replayDeadRows, retryOutboxRow } from '../outbox/replay.js'
import { CliFailure, configArgs, databaseFileFrom, EXIT_USAGE, output, table, withDatabase } from './common.js'
import { parseSince, relative } from './time-args.js'

/**
 * `benefitkit outbox list [--status S] [--limit N] | show ID | retry ID |
 * replay --dead [--since T]`. Only the database is needed (no keys), so these
 * work next to a running daemon: its worker picks up retried and replayed rows
 * at its next poll (within a second).
 */

function parseId(text: string): number {
  if (!/^\d+$/.test(text)) throw new CliFailure(`ID must be an outbox row number, got "${text}". Find it with: benefitkit outbox list`, EXIT_USAGE)
  return Number(text)
}

const list = defineCommand({
  meta: { name: 'list', description: 'List outbox rows, newest first' },
  args: {
    ...configArgs,
    status: { type: 'string', description: `only rows in this state: ${OUTBOX_STATES.join(' | ')}`, valueHint: 'S' },
    limit: { type: 'string', description: 'at most this many rows (default 50)', valueHint: 'N' },
  },
  async run({ args }) {
    const status = args.status?.toLowerCase().replace('-', '_')
    if (status !== undefined && !(OUTBOX_STATES as readonly string[]).includes(status)) {
      throw new CliFailure(`--status must be one of ${OUTBOX_STATES.join(', ')}; e.g. benefitkit outbox list --status dead`, EXIT_USAGE)
    }
    const limit = args.limit === undefined ? 50 : Number(args.limit)
    if (!Number.isInteger(limit) || limit < 1) throw new CliFailure('--limit must be a whole number ≥ 1, e.g. --limit 100', EXIT_USAGE)
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const rows = await listOutbox(db, { state: status as OutboxState | undefined, limit })
      const now = Date.now()
      output(args.json, { rows }, () =>
        table(
          rows.map((r) => ({
            id: r.id,
            api: r.api,
            'idempotency id': r.idempotency_id,
            state: r.state,
            attempts: r.attempts,
            next: r.state === 'pending' ? relative(r.next_attempt_at, now) : null,
            'last code': r.last_code,
            created: relative(r.created_at, now),
          })),
          ['id', 'api', 'idempotency id', 'state', 'attempts', 'next', 'last code', 'created'],
        ),
      )
    })
  },
})

/** Fields of a syncUsedBenefit body that would let a reader redeem the benefit. */
const SECRET_FIELDS = new Set(['benefitCode', 'benefitPin', 'benefitUrl'])

/** The body with redeemable codes masked (what lands in a terminal's scrollback); `--reveal` shows it as sent. */
function maskedBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body, (key, value: unknown) => (SECRET_FIELDS.has(key) ? '[redacted]' : value)))
  } catch {
    return body
  }
}

const show = defineCommand({
  meta: { name: 'show', description: 'Show one outbox row with its body' },
  args: {
    ...configArgs,
    id: { type: 'positional', description: 'outbox row number', required: true, valueHint: 'ID' },
    reveal: { type: 'boolean', description: 'show the body exactly as sent, codes included', default: false },
  },
  async run({ args }) {
    const id = parseId(args.id)
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const row = await getOutboxRow(db, id)
      if (!row) throw new CliFailure(`no outbox row ${id}. List rows with: benefitkit outbox list`)
      const now = Date.now()
      const at = (t: number | null) => (t === null ? '-' : `${new Date(t).toISOString()} (${relative(t, now)})`)
      const body = args.reveal ? row.body : maskedBody(row.body)
      output(args.json, { row: { ...row, body } }, () =>
        [
          `row ${row.id}  ${row.api}  ${row.state}`,
          `  idempotency id  ${row.idempotency_id}`,
          `  ordering key    ${row.ordering_key ?? '-'}`,
          `  attempts        ${row.attempts}`,
          `  created         ${at(row.created_at)}`,
          ...(row.replayed_at !== null ? [`  replayed        ${at(row.replayed_at)}`] : []),
          ...(row.state === 'pending' ? [`  next attempt    ${at(row.next_attempt_at)}`] : []),
          ...(row.state === 'in_flight' ? [`  leased to       ${row.lease_owner} until ${at(row.lease_until)}`] : []),
          ...(row.delivered_at !== null ? [`  delivered       ${at(row.delivered_at)}`] : []),
          ...(row.last_code !== null ? [`  last result     ${row.last_code}${row.last_error ? ` — ${row.last_error}` : ''}`] : []),
          ...(row.state === 'dead' ? [`  replay it with: benefitkit outbox retry ${row.id}`] : []),
          args.reveal ? `  body (exactly as sent):` : `  body (codes masked; --reveal shows it exactly as sent):`,
          `  ${body}`,
        ].join('\n'),
      )
    })
  },
})

const retry = defineCommand({
  meta: { name: 'retry', description: 'Replay a dead row (same id, same body), or make a waiting row due now' },
  args: { ...configArgs, id: { type: 'positional', description: 'outbox row number', required: true, valueHint: 'ID' } },
  async run({ args }) {
    const id = parseId(args.id)
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const result = await retryOutboxRow(db, id, Date.now())
      switch (result.kind) {
        case 'not_found':
          throw new CliFailure(`no outbox row ${id}. List rows with: benefitkit outbox list`)
        case 'refused':
          throw new CliFailure(
            result.state === 'delivered'
              ? `row ${id} was delivered${result.deliveredAt ? ` at ${new Date(result.deliveredAt).toISOString()}` : ''}; there is nothing to retry.`
              : `row ${id} is being delivered right now; look again with: benefitkit outbox show ${id}`,
          )
        case 'replayed':
          output(args.json, result, () => `Row ${id} replayed with its idempotency id and body; the connector delivers it within a second.`)
          return
        case 'due_now':
          output(args.json, result, () => `Row ${id} is due now; the connector tries it within a second.`)
      }
    })
  },
})

const replay = defineCommand({
  meta: { name: 'replay', description: 'Replay dead rows in bulk (same ids, same bodies)' },
  args: {
    ...configArgs,
    dead: { type: 'boolean', description: 'replay the dead rows (required: says what is replayed)', default: false },
    since: { type: 'string', description: 'only rows that died since T: 2h, 30m, 3d, 2026-11-24, an ISO time or epoch ms', valueHint: 'T' },
    api: { type: 'string', description: 'only this API: syncBenefit | syncUsedBenefit', valueHint: 'API' },
  },
  async run({ args }) {
    if (!args.dead) {
      throw new CliFailure('say what to replay: benefitkit outbox replay --dead [--since 2h]. One row: benefitkit outbox retry ID', EXIT_USAGE)
    }
    const now = Date.now()
    let since: number | undefined
    if (args.since !== undefined) {
      since = parseSince(args.since, now)
      if (since === undefined) {
        throw new CliFailure(`--since must be a duration (2h, 30m, 3d), a date (2026-11-24), an ISO time with offset or epoch ms; got "${args.since}"`, EXIT_USAGE)
      }
    }
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const ids = await replayDeadRows(db, { now, since, api: args.api })
      output(args.json, { replayed: ids.length, ids }, () =>
        ids.length
          ? `Replayed ${ids.length} dead row${ids.length === 1 ? '' : 's'} (${ids.join(', ')}); the connector delivers them within a second.`
          : `No dead rows${since !== undefined ? ` since ${new Date(since).toISOString()}` : ''}; nothing replayed.`,
      )
    })
  },
})

export default defineCommand({
  meta: { name: 'outbox', description: 'See and act on the calls waiting to reach the platform' },
  subCommands: { list, show, retry, replay },
})
