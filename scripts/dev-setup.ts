/**
 * The dev stack shared by `pnpm start`, `pnpm demo` and the end-to-end tests:
 * a sandbox platform and a real connector wired to each other on loopback,
 * with dev key pairs, plus the helpers around them (the demo template, the
 * demo API key, waiting for a template to settle).
 *
 * Wiring order (the sandbox's README): start the sandbox first (the connector
 * needs its URL), then the connector, then tell the sandbox where the
 * connector answers.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  Connector,
  createApiKey,
  createLogger,
  createTemplate,
  findApiKey,
  findTemplate,
  loadConfig,
  type Config,
  type ConfigInput,
  type Db,
  type Logger,
  type OutboxWorkerOptions,
  type TemplateRow,
  type TemplateState,
} from '@benefitkit/connector'
import { createSandbox, type Sandbox, type SandboxOptions } from '@benefitkit/sandbox'
import { generateRsaKeyPair } from '@benefitkit/shared/signing'

export const DEV_CLIENT_ID = 'benefitkit-dev'
export const DEMO_TEMPLATE_ID = 'demo-hkd-10-off'

/* ------------------------------------------------------------------ keys */

export interface DevKeyPair {
  /** Bare base64 PKCS#8 DER. */
  privateKey: string
  /** Bare base64 SPKI DER. */
  publicKey: string
}

/** What ./data/dev-keys.json holds: both sides' key pairs, for loopback only. */
export interface DevKeys {
  version: 1
  clientId: string
  /** The connector's (the ISV's) pair: it signs what the connector sends. */
  isv: DevKeyPair
  /** The sandbox platform's pair: it signs what the sandbox sends. */
  platform: DevKeyPair
  createdAt: string
}

function pair(): DevKeyPair {
  const generated = generateRsaKeyPair()
  return { privateKey: generated.privateKeyBase64, publicKey: generated.publicKeyBase64 }
}

export function generateDevKeys(clientId = DEV_CLIENT_ID): DevKeys {
  return { version: 1, clientId, isv: pair(), platform: pair(), createdAt: new Date().toISOString() }
}

function isPair(value: unknown): value is DevKeyPair {
  const p = value as DevKeyPair | undefined
  return typeof p?.privateKey === 'string' && p.privateKey.length > 0 && typeof p.publicKey === 'string' && p.publicKey.length > 0
}

/**
 * The dev key pairs kept in `file` (mode 600), generated on first use. A file
 * that cannot be read as dev keys is an error that says what to do, never
 * silently replaced (the keys of a running setup would change under it).
 */
export function loadOrCreateDevKeys(file: string): { keys: DevKeys; created: boolean } {
  if (existsSync(file)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message}); delete it to generate new dev keys`)
    }
    const keys = parsed as DevKeys
    if (keys?.version !== 1 || typeof keys.clientId !== 'string' || !isPair(keys.isv) || !isPair(keys.platform)) {
      throw new Error(`${file} does not hold dev keys (version 1, clientId, isv, platform); delete it to generate new ones`)
    }
    return { keys, created: false }
  }
  const keys = generateDevKeys()
  writePrivateJson(file, keys)
  return { keys, created: true }
}

/** Writes JSON readable by the owner only, atomically (temp file + rename). */
export function writePrivateJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 })
  chmodSync(temp, 0o600)
  renameSync(temp, file)
}

/* ----------------------------------------------------------------- stack */

export interface DevStackOptions {
  keys: DevKeys
  /** The connector's SQLite file. */
  db: string
  host?: string
  /** Preferred ports; 0 (the default) picks free ones. */
  connectorPort?: number
  sandboxPort?: number
  /** When a preferred port is taken, use a free one instead of failing. Default true. */
  fallbackToFreePort?: boolean
  /** The connector's logger; default: silent. */
  logger?: Logger
  /** Sandbox options on top of the wiring (review delay, retries, onEvent, …). */
  sandbox?: Partial<Omit<SandboxOptions, 'clientId' | 'platformPrivateKey' | 'isvPublicKeys' | 'host' | 'port'>>
  /** Outbox worker options (a shorter retry schedule for demos and tests). */
  outbox?: OutboxWorkerOptions
  /** Connector configuration on top of the wiring. */
  config?: Partial<ConfigInput>
  /**
   * BENEFITKIT_* variables to honour (log level, admin token, …); the wiring
   * (keys, platform URL, port, database) always wins. Default: none.
   */
  env?: Record<string, string | undefined>
  /** The connector's clock (tests). */
  now?: () => number
}

export interface DevStack {
  sandbox: Sandbox
  connector: Connector
  config: Config
  db: Db
  connectorUrl: string
  sandboxUrl: string
  /** Which preferred ports were taken (and replaced by free ones). */
  fellBack: { connector: boolean; sandbox: boolean }
  /** Stops the connector (drains, closes the database), then the sandbox. Safe to call twice. */
  stop(): Promise<void>
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE'
}

/** Starts a sandbox and a connector wired to each other on loopback. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const host = options.host ?? '127.0.0.1'
  const fallback = options.fallbackToFreePort ?? true
  const { keys } = options

  const makeSandbox = (port: number) =>
    createSandbox({
      ...options.sandbox,
      host,
      port,
      clientId: keys.clientId,
      platformPrivateKey: keys.platform.privateKey,
      isvPublicKeys: { '1': keys.isv.publicKey },
    })

  const fellBack = { connector: false, sandbox: false }
  let sandbox = makeSandbox(options.sandboxPort ?? 0)
  try {
    await sandbox.start()
  } catch (error) {
    if (!fallback || !isAddressInUse(error) || !options.sandboxPort) throw error
    await sandbox.stop()
    fellBack.sandbox = true
    sandbox = makeSandbox(0)
    await sandbox.start()
  }

  const configFor = (port: number) =>
    loadConfig({
      env: options.env ?? {},
      overrides: {
        host,
        port,
        db: options.db,
        clientId: keys.clientId,
        privateKey: keys.isv.privateKey,
        platformUrl: sandbox.url,
        platformPublicKeys: { '1': keys.platform.publicKey },
        dev: true,
        ...options.config,
      },
    })
  const create = (config: Config) =>
    Connector.create(config, {
      logger: options.logger ?? createLogger('silent'),
      ...(options.outbox ? { outbox: options.outbox } : {}),
      ...(options.now ? { now: options.now } : {}),
    })

  let config: Config
  let connector: Connector
  try {
    config = configFor(options.connectorPort ?? 0)
    connector = await create(config)
    try {
      await connector.start()
    } catch (error) {
      await connector.stop()
      if (!fallback || !isAddressInUse(error) || !options.connectorPort) throw error
      fellBack.connector = true
      config = configFor(0)
      connector = await create(config)
      await connector.start()
    }
  } catch (error) {
    await sandbox.stop()
    throw error
  }
  sandbox.setIsvBaseUrl(connector.url)

  let stopping: Promise<void> | undefined
  return {
    sandbox,
    connector,
    config,
    db: connector.context.db,
    connectorUrl: connector.url,
    sandboxUrl: sandbox.url,
    fellBack,
    stop() {
      stopping ??= (async () => {
        try {
          await connector.stop()
        } finally {
          await sandbox.stop()
        }
      })()
      return stopping
    },
  }
}

/* -------------------------------------------------------------- templates */

/** A protocol time with the +08:00 offset the platform's examples use. */
export function protocolTime(epochMs: number): string {
  const shifted = new Date(epochMs + 8 * 3600_000)
  return `${shifted.toISOString().slice(0, 19)}+08:00`
}

export interface TemplateFileOptions {
  id: string
  title?: string
  now?: number
  totalQuantity?: number
  perUserLimit?: number
  codeType?: 'CODE' | 'CODE_AND_PIN' | 'URL'
  /** HKD minor units; default "1000" (HK$10.00). */
  value?: string
  codes?: Array<string | { code: string; pin?: string }>
}

/** A template file (product.md: the syncBenefit fields without benefitSyncRequestId, plus codeType). */
export function templateFile(options: TemplateFileOptions): Record<string, unknown> {
  const now = options.now ?? Date.now()
  return {
    benefitTemplateId: options.id,
    benefitProductCode: 'BENEFITKIT_DEMO_VOUCHER',
    benefitTitle: options.title ?? 'HK$10 off your next order',
    // Open a minute ago, so a skewed clock never makes it "not yet open".
    benefitBeginTime: protocolTime(now - 60_000),
    benefitEndTime: protocolTime(now + 365 * 24 * 3600_000),
    benefitValidPeriod: { type: 'RELATIVE', validDays: 30 },
    clientCode: 'ALIPAY_HK',
    benefitContent: {
      amount: { currency: 'HKD', value: options.value ?? '1000' },
      description: 'Demo voucher from benefitkit',
      useScene: ['MINI_PROGRAM', 'OFFLINE_STORE'],
      codeType: options.codeType ?? 'CODE',
    },
    benefitBudget: { totalQuantity: options.totalQuantity ?? 1000, perUserLimit: options.perUserLimit ?? 5 },
    ...(options.codes ? { codes: options.codes } : {}),
  }
}

export interface EnsuredTemplate {
  template: TemplateRow
  created: boolean
}

/**
 * Creates the template once: when a template with this id exists, it is
 * returned unchanged (so `pnpm start` can run again and again).
 */
export async function ensureTemplate(connector: Connector, file: Record<string, unknown>): Promise<EnsuredTemplate> {
  const id = String(file.benefitTemplateId)
  const existing = await findTemplate(connector.context.db, id)
  if (existing) return { template: existing, created: false }
  await createTemplate(connector.context, file)
  return { template: (await findTemplate(connector.context.db, id))!, created: true }
}

/**
 * The sandbox keeps everything in memory: after a restart it has forgotten a
 * template the connector synced before. Send it the template's syncBenefit
 * again (the same id and body, from the outbox, signed by the connector's
 * client), so that it is reviewed and known again. The connector acknowledges
 * the notify that follows and keeps its state. Returns whether it was resent.
 */
export async function reintroduceTemplate(
  stack: Pick<DevStack, 'connector' | 'sandbox'>,
  templateId: string,
  onResend?: () => void,
): Promise<boolean> {
  const { db } = stack.connector.context
  const template = await findTemplate(db, templateId)
  if (!template || template.state === 'DRAFT') return false
  if (stack.sandbox.state.syncs.some((s) => s.benefitSyncRequestId === template.sync_request_id)) return false
  const row = await db
    .selectFrom('outbox')
    .select(['body', 'state'])
    .where('api', '=', 'syncBenefit')
    .where('idempotency_id', '=', template.sync_request_id)
    .executeTakeFirst()
  // Not delivered yet: the outbox worker sends it on its own.
  if (!row || row.state === 'pending' || row.state === 'in_flight') return false
  onResend?.()
  const outcome = await stack.connector.worker.client.send('syncBenefit', row.body)
  if (outcome.status !== 'S') throw new Error(`the sandbox refused the template ${templateId} again: ${outcome.code} ${outcome.message}`)
  return true
}

export interface WaitTemplateOptions {
  timeoutMs?: number
  intervalMs?: number
  /** Called when the state changes (and once at the start). */
  onState?: (state: TemplateState, template: TemplateRow) => void
}

/** Polls the connector's database until the template is in one of `states`; throws on timeout with the last state. */
export async function waitForTemplateState(
  db: Db,
  templateId: string,
  states: readonly TemplateState[],
  { timeoutMs = 10_000, intervalMs = 25, onState }: WaitTemplateOptions = {},
): Promise<TemplateRow> {
  const deadline = Date.now() + timeoutMs
  let last: TemplateState | undefined
  for (;;) {
    const template = await findTemplate(db, templateId)
    if (template && template.state !== last) {
      last = template.state
      onState?.(template.state, template)
    }
    if (template && states.includes(template.state)) return template
    if (Date.now() >= deadline) {
      throw new Error(`template ${templateId} is ${last ?? 'missing'} after ${timeoutMs} ms; expected ${states.join(' or ')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/* -------------------------------------------------------------- API keys */

/** What ./data/demo-api-key.json holds (mode 600). */
export interface StoredApiKey {
  id: string
  name: string
  secret: string
  createdAt: string
}

/**
 * The demo's API key, created once and kept in `file` so a later run can say
 * how to use it. A stored key the database does not know (a deleted database)
 * or that was revoked is replaced.
 */
export async function ensureDemoApiKey(db: Db, file: string): Promise<{ key: StoredApiKey; created: boolean }> {
  if (existsSync(file)) {
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredApiKey
      const row = typeof stored?.id === 'string' ? await findApiKey(db, stored.id) : undefined
      if (row && row.revoked_at === null && typeof stored.secret === 'string') return { key: stored, created: false }
    } catch {
      // Unreadable: make a new one below.
    }
  }
  const created = await createApiKey(db, { name: 'pnpm-start-demo' })
  const key: StoredApiKey = { id: created.id, name: created.name, secret: created.secret, createdAt: new Date(created.createdAt).toISOString() }
  writePrivateJson(file, key)
  return { key, created: true }
}

export function dataPaths(dataDir: string) {
  return {
    dataDir,
    db: join(dataDir, 'benefitkit.db'),
    keys: join(dataDir, 'dev-keys.json'),
    apiKey: join(dataDir, 'demo-api-key.json'),
    log: join(dataDir, 'connector.log'),
  }
}
