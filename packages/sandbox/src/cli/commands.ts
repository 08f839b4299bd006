/**
 * The sandbox CLI: `serve` runs a sandbox; the other commands talk to a
 * running one over its control API. Human output by default, `--json` for
 * scripts. Exit codes: 0 ok, 1 failure, 2 usage error.
 */
import { defineCommand } from 'citty'
import { SandboxConfigError, SandboxError } from '../errors.js'
import type { FaultSettings, SandboxSnapshot } from '../sandbox.js'
import { createSandbox } from '../sandbox.js'
import type { CallRecord } from '../call-log.js'
import type { FaultView } from '../faults.js'
import type { CollectResult } from '../super-app/collect.js'
import type { TemplateRecord } from '../state.js'
import { formatCall, formatCollect, formatEvent, formatFaultLine, formatState } from '../format.js'
import { control, ControlError } from './control-client.js'
import { isvPublicKey, platformKeys } from './keys.js'

/** A usage problem the CLI reports with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

const DEFAULT_URL = 'http://127.0.0.1:8700'

const urlArg = {
  url: {
    type: 'string',
    description: `the sandbox's URL (env BENEFITKIT_SANDBOX_URL; default ${DEFAULT_URL})`,
  },
} as const
const jsonArg = { json: { type: 'boolean', description: 'print JSON for scripts', default: false } } as const

function sandboxUrl(args: { url?: string | undefined }): string {
  return args.url || process.env.BENEFITKIT_SANDBOX_URL || DEFAULT_URL
}

function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`)
}

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`)
  return Number(value)
}

const serve = defineCommand({
  meta: { name: 'serve', description: 'run a sandbox platform + super app (Ctrl-C stops it)' },
  args: {
    host: { type: 'string', description: 'listen address', default: '127.0.0.1' },
    port: { type: 'string', description: 'listen port (0 = any)', default: '8700' },
    'client-id': { type: 'string', description: "the ISV's Client-Id", default: 'benefitkit-dev' },
    'isv-url': { type: 'string', description: 'where the connector answers, e.g. http://127.0.0.1:8600' },
    'isv-public-key': { type: 'string', description: "the ISV's public key: a file or the base64/PEM text (default <data-dir>/isv-public.key)" },
    'isv-key-version': { type: 'string', description: "keyVersion of the ISV's key", default: '1' },
    'isv-next-public-key': { type: 'string', description: 'a second ISV key accepted during a rotation (file or text)' },
    'isv-next-key-version': { type: 'string', description: 'keyVersion of the second key', default: '2' },
    'platform-private-key': { type: 'string', description: "the platform's private key (file or text); default: generated once in the data folder" },
    'platform-key-version': { type: 'string', description: "keyVersion of the platform's key", default: '1' },
    'data-dir': { type: 'string', description: 'where generated platform keys are kept', default: './data/sandbox' },
    'review-delay': { type: 'string', description: 'ms before a synced template is reviewed', default: '200' },
    'review-outcome': {
      type: 'enum',
      options: ['APPROVE', 'AUDIT_FAIL', 'INNER_PROCESS_FAIL', 'SYNC_CLIENT_FAIL'],
      description: 'how reviews end',
      default: 'APPROVE',
    },
    'auto-release': { type: 'boolean', description: 'release templates once approved', default: false },
    'issue-retries': { type: 'string', description: 'issueBenefit retries before inquiry and reversal', default: '3' },
    'request-timeout': { type: 'string', description: 'ms to wait for the ISV', default: '5000' },
    quiet: { type: 'boolean', description: 'do not print the timeline', default: false },
    ...jsonArg,
  },
  async run({ args }) {
    const dataDir = args['data-dir']
    const platform = platformKeys(dataDir, args['platform-private-key'])
    const isvKey = isvPublicKey(dataDir, args['isv-public-key'])
    if (isvKey === undefined) {
      throw new UsageError(
        `the ISV's public key is needed to verify its requests: pass --isv-public-key FILE (the connector's \`benefitkit keygen\` output) or put it in ${dataDir}/isv-public.key`,
      )
    }
    const isvKeys: Record<string, string> = { [args['isv-key-version']]: isvKey }
    if (args['isv-next-public-key']) isvKeys[args['isv-next-key-version']] = isvPublicKey(dataDir, args['isv-next-public-key'])!

    const sandbox = createSandbox({
      host: args.host,
      port: int('port', args.port) ?? 8700,
      clientId: args['client-id'],
      platformPrivateKey: platform.privateKey,
      platformKeyVersion: args['platform-key-version'],
      isvPublicKeys: isvKeys,
      ...(args['isv-url'] ? { isvBaseUrl: args['isv-url'] } : {}),
      reviewDelayMs: int('review-delay', args['review-delay']) ?? 200,
      reviewOutcome: args['review-outcome'] as 'APPROVE',
      autoRelease: args['auto-release'],
      issueRetries: int('issue-retries', args['issue-retries']) ?? 3,
      requestTimeoutMs: int('request-timeout', args['request-timeout']) ?? 5000,
      onEvent: args.quiet ? undefined : (event) => process.stdout.write(`${args.json ? JSON.stringify(event) : formatEvent(event)}\n`),
    })
    const { url } = await sandbox.start()
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ type: 'listening', url, clientId: sandbox.clientId, platformPublicKey: sandbox.platformPublicKey })}\n`)
    } else {
      process.stdout.write(
        [
          `sandbox platform listening on ${url}`,
          `  Client-Id            ${sandbox.clientId}`,
          `  platform public key  ${platform.publicPath ?? '(from --platform-private-key)'}${platform.generated ? ' (generated now)' : ''}`,
          `  ISV base URL         ${sandbox.isvBaseUrl ?? '(not set: pass --isv-url, or POST /sandbox/isv-base-url)'}`,
          `  control API          ${url}/sandbox/state, /sandbox/calls, /sandbox/faults`,
          '',
          'point the connector at it: BENEFITKIT_PLATFORM_URL=' + url + ` BENEFITKIT_PLATFORM_PUBLIC_KEY_FILE=${platform.publicPath ?? '…'}`,
          '',
        ].join('\n'),
      )
    }
    await new Promise<void>((resolve) => {
      const shutdown = (): void => {
        process.off('SIGINT', shutdown)
        process.off('SIGTERM', shutdown)
        resolve()
      }
      process.on('SIGINT', shutdown)
      process.on('SIGTERM', shutdown)
    })
    await sandbox.stop()
  },
})

const state = defineCommand({
  meta: { name: 'state', description: 'what the sandbox has seen: templates, syncs, collections, wallets, used benefits' },
  args: { ...urlArg, ...jsonArg },
  async run({ args }) {
    const snapshot = await control<SandboxSnapshot>(sandboxUrl(args), 'GET', '/state')
    print(args.json, snapshot, () => formatState(snapshot))
  },
})

const calls = defineCommand({
  meta: { name: 'calls', description: 'every call in either direction, as a timeline' },
  args: {
    ...urlArg,
    ...jsonArg,
    api: { type: 'string', description: 'only this API' },
    direction: { type: 'enum', options: ['inbound', 'outbound'], description: 'inbound = ISV → platform' },
    id: { type: 'string', description: 'only calls about this id' },
    follow: { type: 'boolean', description: 'keep printing new calls', default: false },
  },
  async run({ args }) {
    const base = sandboxUrl(args)
    let after = 0
    for (;;) {
      const query = new URLSearchParams()
      if (args.api) query.set('api', args.api)
      if (args.direction) query.set('direction', args.direction)
      if (args.id) query.set('id', args.id)
      if (after > 0) query.set('after', String(after))
      const { calls: list } = await control<{ calls: CallRecord[] }>(base, 'GET', `/calls?${query}`)
      if (args.json) {
        if (args.follow) for (const c of list) process.stdout.write(`${JSON.stringify(c)}\n`)
        else print(true, list, () => '')
      } else {
        for (const c of list) process.stdout.write(`${formatCall(c)}\n`)
        if (!args.follow && list.length === 0) process.stdout.write('no calls yet\n')
      }
      if (!args.follow) return
      after = list.at(-1)?.seq ?? after
      await new Promise((r) => setTimeout(r, 500))
    }
  },
})

const release = defineCommand({
  meta: { name: 'release', description: 'the operator releases an approved template so users can collect it' },
  args: { template: { type: 'positional', description: 'the benefitTemplateId', required: true }, ...urlArg, ...jsonArg },
  async run({ args }) {
    const template = await control<TemplateRecord>(sandboxUrl(args), 'POST', '/release', { templateId: args.template })
    print(args.json, template, () => `released ${template.benefitTemplateId}`)
  },
})

const collect = defineCommand({
  meta: { name: 'collect', description: 'a user collects a benefit: issueBenefit with retries, inquiry, reversal' },
  args: {
    user: { type: 'string', description: 'the userId', required: true },
    template: { type: 'string', description: 'the benefitTemplateId', required: true },
    quantity: { type: 'string', description: 'how many instances', default: '1' },
    id: { type: 'string', description: 'the benefitIssueRequestId (default: a fresh one)' },
    force: { type: 'boolean', description: 'collect even if the template is not released', default: false },
    ...urlArg,
    ...jsonArg,
  },
  async run({ args }) {
    const result = await control<CollectResult>(sandboxUrl(args), 'POST', '/collect', {
      userId: args.user,
      templateId: args.template,
      quantity: int('quantity', args.quantity) ?? 1,
      ...(args.id ? { benefitIssueRequestId: args.id } : {}),
      ...(args.force ? { force: true } : {}),
    })
    print(args.json, result, () => formatCollect(result))
  },
})

const faultsList = defineCommand({
  meta: { name: 'list', description: 'the faults in force, the outage switch and review outcomes' },
  args: { ...urlArg, ...jsonArg },
  async run({ args }) {
    const settings = await control<FaultSettings>(sandboxUrl(args), 'GET', '/faults')
    print(args.json, settings, () =>
      [
        `outage ${settings.outage ? 'ON' : 'off'}`,
        `review default ${settings.review.default.outcome}`,
        ...settings.review.templates.map((t) => `review ${t.templateId} ${t.outcome}`),
        ...(settings.faults.length === 0 ? ['no faults'] : settings.faults.map(formatFaultLine)),
      ].join('\n'),
    )
  },
})

const faultsAdd = defineCommand({
  meta: { name: 'add', description: 'inject a fault (inbound: drop, delay, code, http, badSignature; outbound: loseAnswer)' },
  args: {
    api: { type: 'string', description: 'the API, or * for all of its direction', required: true },
    kind: { type: 'enum', options: ['drop', 'delay', 'code', 'http', 'badSignature', 'loseAnswer'], required: true, description: 'what goes wrong' },
    times: { type: 'string', description: 'the next N matching calls (default 1)' },
    probability: { type: 'string', description: 'each matching call with this probability (0–1)' },
    code: { type: 'string', description: 'for kind code: the resultCode (default SYSTEM_ERROR)' },
    status: { type: 'string', description: 'for kind http: the HTTP status (default 500)' },
    'delay-ms': { type: 'string', description: 'for kind delay: how long (default 1000)' },
    'after-processing': { type: 'boolean', description: 'run the API first, break only its answer', default: false },
    ...urlArg,
    ...jsonArg,
  },
  async run({ args }) {
    // citty enforces `required` for strings but not for enums.
    if (!args.kind) throw new UsageError('--kind is required: drop, delay, code, http, badSignature (platform APIs) or loseAnswer (calls to the ISV)')
    const probability = args.probability === undefined ? undefined : Number(args.probability)
    if (probability !== undefined && Number.isNaN(probability)) throw new UsageError('--probability must be a number between 0 and 1')
    const spec = {
      api: args.api,
      kind: args.kind,
      ...(args.times ? { times: int('times', args.times) } : {}),
      ...(probability === undefined ? {} : { probability }),
      ...(args.code ? { code: args.code } : {}),
      ...(args.status ? { httpStatus: int('status', args.status) } : {}),
      ...(args['delay-ms'] ? { delayMs: int('delay-ms', args['delay-ms']) } : {}),
      ...(args['after-processing'] ? { afterProcessing: true } : {}),
    }
    const { added } = await control<{ added: FaultView[] }>(sandboxUrl(args), 'POST', '/faults', spec)
    print(args.json, added, () => added.map((f) => `added ${formatFaultLine(f)}`).join('\n'))
  },
})

const faultsRemove = defineCommand({
  meta: { name: 'remove', description: 'remove one fault by id' },
  args: { id: { type: 'positional', description: 'the fault id (f1, f2, …)', required: true }, ...urlArg, ...jsonArg },
  async run({ args }) {
    await control(sandboxUrl(args), 'DELETE', `/faults/${encodeURIComponent(args.id)}`)
    print(args.json, { removed: args.id }, () => `removed ${args.id}`)
  },
})

const faultsClear = defineCommand({
  meta: { name: 'clear', description: 'remove every fault, end an outage, reset review outcomes' },
  args: { ...urlArg, ...jsonArg },
  async run({ args }) {
    const settings = await control<FaultSettings>(sandboxUrl(args), 'DELETE', '/faults')
    print(args.json, settings, () => 'faults cleared')
  },
})

const faultsOutage = defineCommand({
  meta: { name: 'outage', description: 'switch the platform outage on (every platform API answers 503) or off' },
  args: { switch: { type: 'positional', description: 'on | off', required: true }, ...urlArg, ...jsonArg },
  async run({ args }) {
    if (args.switch !== 'on' && args.switch !== 'off') throw new UsageError('outage takes on or off')
    const result = await control<{ outage: boolean }>(sandboxUrl(args), 'POST', '/outage', { on: args.switch === 'on' })
    print(args.json, result, () => `outage ${result.outage ? 'ON' : 'off'}`)
  },
})

const faultsReview = defineCommand({
  meta: { name: 'review', description: 'how reviews end, for one template (--template) or by default' },
  args: {
    outcome: { type: 'positional', description: 'APPROVE | AUDIT_FAIL | INNER_PROCESS_FAIL | SYNC_CLIENT_FAIL', required: true },
    template: { type: 'string', description: 'the benefitTemplateId (default: every template)' },
    reason: { type: 'string', description: 'the syncFailReason sent' },
    ...urlArg,
    ...jsonArg,
  },
  async run({ args }) {
    const result = await control<{ review: unknown }>(sandboxUrl(args), 'POST', '/review', {
      outcome: args.outcome,
      ...(args.template ? { templateId: args.template } : {}),
      ...(args.reason ? { reason: args.reason } : {}),
    })
    print(args.json, result, () => `reviews of ${args.template ?? 'every template'} now end ${args.outcome}`)
  },
})

const faults = defineCommand({
  meta: { name: 'faults', description: 'inject or clear faults, switch an outage, set review outcomes' },
  subCommands: { list: faultsList, add: faultsAdd, remove: faultsRemove, clear: faultsClear, outage: faultsOutage, review: faultsReview },
})

export const main = defineCommand({
  meta: { name: 'benefitkit-sandbox', description: 'a local stand-in for the platform and the super app' },
  subCommands: { serve, state, calls, release, collect, faults },
})

/** Exit code for an error thrown by a command: 2 for usage, 1 otherwise. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof SandboxConfigError) return 2
  if (error instanceof Error && error.name === 'CLIError') return 2
  if (error instanceof SandboxError && error.status === 400) return 2
  // The control API refused the arguments as given (a bad fault, a malformed id).
  if (error instanceof ControlError && error.status === 400) return 2
  return 1
}
