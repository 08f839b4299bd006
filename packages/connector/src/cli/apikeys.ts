import { defineCommand } from 'citty'
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../apikeys/repository.js'
import { API_KEY_ID } from '../apikeys/secret.js'
import { CliFailure, configArgs, databaseFileFrom, EXIT_USAGE, output, table, withDatabase } from './common.js'

/**
 * `benefitkit apikeys create [--name N] | list | revoke ID`: keys of the
 * redemption API. Only the database is needed, so these work while the daemon
 * runs; it refuses a revoked key within a second.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

function view(key: ApiKeyInfo) {
  return { id: key.id, name: key.name, createdAt: iso(key.createdAt), revokedAt: iso(key.revokedAt), lastUsedAt: iso(key.lastUsedAt) }
}

const create = defineCommand({
  meta: { name: 'create', description: 'Create an API key and print its secret (shown once, stored only as a hash)' },
  args: {
    ...configArgs,
    name: { type: 'string', description: 'what the key is for, e.g. "checkout server"', valueHint: 'NAME' },
  },
  async run({ args }) {
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const key = await createApiKey(db, { name: args.name })
      output(args.json, { id: key.id, secret: key.secret }, () =>
        [
          `Created API key ${key.id} (${key.name}).`,
          '',
          'Secret (shown only now; the connector keeps a hash and cannot show it again):',
          key.secret,
          '',
          "Give it to your checkout server (never to a mini program's front end). The server signs requests with it,",
          'or asks POST /v1/user-tokens for short-lived user tokens to hand to the mini program.',
        ].join('\n'),
      )
    })
  },
})

const list = defineCommand({
  meta: { name: 'list', description: 'List API keys (never their secrets)' },
  args: { ...configArgs },
  async run({ args }) {
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const keys = (await listApiKeys(db)).map(view)
      output(args.json, keys, () =>
        table(
          keys.map((k) => ({ ...k, status: k.revokedAt ? 'revoked' : 'active' })),
          ['id', 'name', 'status', 'createdAt', 'lastUsedAt', 'revokedAt'],
        ),
      )
    })
  },
})

const revoke = defineCommand({
  meta: { name: 'revoke', description: 'Revoke an API key for good (and the user tokens it issued)' },
  args: { ...configArgs, id: { type: 'positional', description: 'the key id (see: benefitkit apikeys list)', required: true } },
  async run({ args }) {
    if (!API_KEY_ID.test(args.id)) throw new CliFailure(`"${args.id}" is not an API key id (letters and digits)`, EXIT_USAGE)
    await withDatabase(databaseFileFrom(args), async ({ db }) => {
      const outcome = await revokeApiKey(db, args.id)
      if (outcome.status === 'not-found') throw new CliFailure(`no API key ${args.id} (see: benefitkit apikeys list)`)
      output(args.json, { id: args.id, status: outcome.status, revokedAt: iso(outcome.revokedAt) }, () =>
        outcome.status === 'revoked'
          ? `Revoked API key ${args.id}. A running connector refuses it, and the user tokens it issued, within a second.`
          : `API key ${args.id} was already revoked at ${iso(outcome.revokedAt)}; nothing changed.`,
      )
    })
  },
})

export default defineCommand({
  meta: { name: 'apikeys', description: 'Manage API keys of the redemption API' },
  subCommands: { create, list, revoke },
})
