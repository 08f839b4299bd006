/**
 * `corepack pnpm start`: the main job (product.md, "pnpm start").
 *
 * Without configuration it brings up a sandbox platform and the connector on
 * loopback (connector on 8600, sandbox on 8700, free ports when those are
 * taken), SQLite in ./data, dev key pairs generated on the first run and kept
 * in ./data/dev-keys.json, a demo template created once and synced, and an API
 * key for the demo created once. It prints the URLs and what to try next, then
 * prints the sandbox's timeline of calls as they happen. Ctrl-C (SIGINT) or
 * SIGTERM stops both and exits 0; a second signal exits 1 at once.
 *
 * With BENEFITKIT_PLATFORM_URL set (or --config FILE) it runs only the
 * connector, against that platform, exactly as `benefitkit serve` does.
 *
 *   node --conditions=source --import tsx scripts/start.ts [--data-dir DIR]
 *        [--port N] [--sandbox-port N] [--review-delay MS] [--json]
 *
 * Environment (dev mode): BENEFITKIT_DATA_DIR, BENEFITKIT_PORT,
 * BENEFITKIT_SANDBOX_PORT, BENEFITKIT_DB, BENEFITKIT_LOG_LEVEL (the connector's
 * log, written to <data dir>/connector.log), BENEFITKIT_ADMIN_TOKEN.
 *
 * Start it with `node …` rather than through pnpm when something else must
 * stop it with SIGTERM: pnpm does not forward signals.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { scriptArguments } from './script-arguments.js'
import { createLogger, runCli, type TemplateRow } from '@benefitkit/connector'
import { formatEvent, type SandboxEvent } from '@benefitkit/sandbox'
import {
  DEMO_TEMPLATE_ID,
  dataPaths,
  ensureDemoApiKey,
  ensureTemplate,
  loadOrCreateDevKeys,
  reintroduceTemplate,
  startDevStack,
  templateFile,
  waitForTemplateState,
  type DevStack,
} from './dev-setup.js'

const USAGE = `usage: corepack pnpm start [-- options]
       node --conditions=source --import tsx scripts/start.ts [options]

Runs the sandbox platform and the connector on loopback with a synced demo template.
With BENEFITKIT_PLATFORM_URL set (or --config FILE), runs only the connector against
that platform (see packages/connector/README.md).

options:
  --data-dir DIR      where the database, dev keys and demo API key live (BENEFITKIT_DATA_DIR, ./data)
  --port N            connector port (BENEFITKIT_PORT, 8600; a free one if taken)
  --sandbox-port N    sandbox port (BENEFITKIT_SANDBOX_PORT, 8700; a free one if taken)
  --review-delay MS   how long the sandbox takes to review a template (500)
  --json              one JSON object per line instead of text
  --config FILE       run only the connector with this config file (as \`benefitkit serve\`)
  -h, --help          this text
`

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

let parsed: ReturnType<typeof parse>
function parse() {
  return parseArgs({
    args: scriptArguments(),
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'sandbox-port': { type: 'string' },
      'review-delay': { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values
}
try {
  parsed = parse()
} catch (error) {
  fail(`${(error as Error).message}\n\n${USAGE}`, 2)
}
if (parsed.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}

const env = process.env
const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value)

function portOf(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`${name} must be a port number (0-65535), got ${JSON.stringify(value)}`, 2)
  return port
}

/* ------------------------------------------------------- real platform */

if (nonEmpty(env.BENEFITKIT_PLATFORM_URL) || parsed.config) {
  process.stdout.write(
    `${parsed.config ? `--config ${parsed.config}` : `BENEFITKIT_PLATFORM_URL is set (${env.BENEFITKIT_PLATFORM_URL})`}: ` +
      'running the connector only, against that platform (no sandbox, no demo template).\n',
  )
  const code = await runCli(['serve', ...(parsed.config ? ['--config', parsed.config] : [])])
  // On success `serve` keeps running until a signal (it exits by itself then).
  if (code !== 0) process.exit(code)
} else {
  await runDev()
}

/* ------------------------------------------------------------ dev mode */

async function runDev(): Promise<void> {
  const json = parsed.json ?? false
  const dataDir = resolve(parsed['data-dir'] ?? nonEmpty(env.BENEFITKIT_DATA_DIR) ?? 'data')
  const paths = dataPaths(dataDir)
  const dbFile = resolve(nonEmpty(env.BENEFITKIT_DB) ?? paths.db)
  const connectorPort = portOf(parsed.port ?? nonEmpty(env.BENEFITKIT_PORT), '--port', 8600)
  const sandboxPort = portOf(parsed['sandbox-port'] ?? nonEmpty(env.BENEFITKIT_SANDBOX_PORT), '--sandbox-port', 8700)
  const reviewDelayMs = portOf(parsed['review-delay'], '--review-delay', 500)
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path)
    return rel && !rel.startsWith('..') ? `./${rel}` : path
  }

  const emit = (type: string, fields: Record<string, unknown>, text?: string) => {
    if (json) process.stdout.write(`${JSON.stringify({ type, at: new Date().toISOString(), ...fields })}\n`)
    else if (text !== undefined) process.stdout.write(`${text}\n`)
  }
  const onSandboxEvent = (event: SandboxEvent) => emit('sandbox', { event }, `  ${formatEvent(event)}`)

  /* Signals first: a Ctrl-C during start-up still stops what was started. */
  let stack: DevStack | undefined
  let log: WriteStream | undefined
  let stopping = false
  /** The stack being started: a signal waits for it (not for the template) and stops it. */
  let stackStarting: Promise<DevStack> | undefined
  const shutdown = (signal: string) => {
    if (stopping) {
      emit('stopping', { signal, now: true }, `${signal} again: exiting now`)
      process.exit(1)
    }
    stopping = true
    emit('stopping', { signal }, `\n${signal}: stopping the connector (finishing in-flight work) and the sandbox…`)
    const deadline = setTimeout(() => {
      emit('stopped', { ok: false }, 'stop did not finish in 20 s: exiting')
      process.exit(1)
    }, 20_000)
    deadline.unref()
    void (async () => {
      let code = 0
      try {
        await stackStarting?.catch(() => undefined)
        await stack?.stop()
      } catch (error) {
        process.stderr.write(`stop failed: ${(error as Error).message}\n`)
        code = 1
      }
      if (log) await new Promise<void>((done) => log!.end(done))
      emit('stopped', { ok: code === 0 }, code === 0 ? 'stopped: connector, sandbox and database closed.' : 'stopped with errors.')
      process.exit(code)
    })()
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))

  const start = async () => {
    const { keys, created: keysCreated } = loadOrCreateDevKeys(paths.keys)
    emit(
      'keys',
      { file: paths.keys, created: keysCreated },
      keysCreated ? `generated dev key pairs (connector and sandbox platform) → ${shown(paths.keys)} (mode 600)` : `dev keys: ${shown(paths.keys)}`,
    )

    log = createWriteStream(paths.log, { flags: 'a' })
    const logger = createLogger(nonEmpty(env.BENEFITKIT_LOG_LEVEL) ?? 'info', log)
    stackStarting = startDevStack({
      keys,
      db: dbFile,
      connectorPort,
      sandboxPort,
      logger,
      env,
      sandbox: { reviewDelayMs, autoRelease: true, onEvent: onSandboxEvent },
      // The sandbox reviews in well under a second; ask about a stuck review soon.
      outbox: { reconciler: { firstDelayMs: 2_000 } },
    })
    stack = await stackStarting
    if (stopping) return
    const { connector, sandbox, connectorUrl, sandboxUrl } = stack
    if (stack.fellBack.connector) emit('port', { connector: connectorUrl }, `port ${connectorPort} is taken: the connector listens on ${connectorUrl}`)
    if (stack.fellBack.sandbox) emit('port', { sandbox: sandboxUrl }, `port ${sandboxPort} is taken: the sandbox listens on ${sandboxUrl}`)
    emit('listening', { connectorUrl, sandboxUrl, db: dbFile }, `connector ${connectorUrl} · sandbox platform ${sandboxUrl} · database ${shown(dbFile)}`)

    // A restarted sandbox has forgotten the template the connector synced before.
    await reintroduceTemplate(stack, DEMO_TEMPLATE_ID, () =>
      emit('template', { id: DEMO_TEMPLATE_ID, reintroduced: true }, `the sandbox starts empty: sending it ${DEMO_TEMPLATE_ID}'s syncBenefit again`),
    )
    const ensured = await ensureTemplate(connector, templateFile({ id: DEMO_TEMPLATE_ID }))
    emit(
      'template',
      { id: DEMO_TEMPLATE_ID, created: ensured.created, state: ensured.template.state },
      ensured.created
        ? `demo template ${DEMO_TEMPLATE_ID} created; syncBenefit queued in the outbox`
        : `demo template ${DEMO_TEMPLATE_ID} exists (${ensured.template.state})`,
    )
    const started = Date.now()
    const template: TemplateRow = await waitForTemplateState(connector.context.db, DEMO_TEMPLATE_ID, ['SYNCED', 'FAILED'], {
      timeoutMs: 30_000,
      onState: (state) => {
        if (state === 'SYNCED' || state === 'FAILED') return
        emit('template', { id: DEMO_TEMPLATE_ID, state }, `demo template ${DEMO_TEMPLATE_ID}: ${state}${state === 'SYNCING' ? ' (the platform is reviewing it)' : ' (waiting for the outbox)'}`)
      },
    }).catch((error: Error) => {
      throw new Error(`${error.message}. Look at ${shown(paths.log)} and \`curl ${sandbox.url}/sandbox/state\`.`)
    })
    if (template.state === 'FAILED') {
      emit(
        'template',
        { id: DEMO_TEMPLATE_ID, state: 'FAILED', code: template.sync_fail_code, reason: template.sync_fail_reason },
        `demo template ${DEMO_TEMPLATE_ID} FAILED review: ${template.sync_fail_code} ${template.sync_fail_reason ?? ''} — delete ${shown(dataDir)} to start over`,
      )
    } else if (template.state !== ensured.template.state) {
      emit('template', { id: DEMO_TEMPLATE_ID, state: 'SYNCED', ms: Date.now() - started }, `demo template ${DEMO_TEMPLATE_ID}: SYNCED in ${Date.now() - started} ms`)
    }
    // Collecting needs the template released in the sandbox (autoRelease does it once approved).
    if (template.state === 'SYNCED') {
      await sandbox
        .waitFor((s) => s.templates.find((t) => t.benefitTemplateId === DEMO_TEMPLATE_ID)?.released, { timeoutMs: 10_000 })
        .catch(() => emit('warning', { message: 'sandbox has not released the template' }, `note: the sandbox has not released ${DEMO_TEMPLATE_ID}; collect with "force": true`))
    }

    const { key, created: keyCreated } = await ensureDemoApiKey(connector.context.db, paths.apiKey)
    const ready = {
      connectorUrl,
      healthz: `${connectorUrl}/healthz`,
      readyz: `${connectorUrl}/readyz`,
      redemptionApi: `${connectorUrl}/v1`,
      sandboxUrl,
      sandboxControlApi: `${sandboxUrl}/sandbox`,
      dataDir,
      db: dbFile,
      log: paths.log,
      template: { id: DEMO_TEMPLATE_ID, state: template.state },
      apiKey: { id: key.id, file: paths.apiKey, created: keyCreated, ...(keyCreated ? { secret: key.secret } : {}) },
    }
    emit('ready', ready, readyText(ready, key.secret, keyCreated, shown))
  }

  try {
    await start()
  } catch (error) {
    if (stopping) return
    process.stderr.write(`pnpm start failed: ${(error as Error).message}\n`)
    stopping = true
    await stack?.stop().catch(() => undefined)
    process.exit(1)
  }
}

function readyText(
  r: {
    connectorUrl: string
    sandboxUrl: string
    dataDir: string
    template: { id: string; state: string }
    apiKey: { id: string; file: string }
  },
  secret: string,
  keyCreated: boolean,
  shown: (path: string) => string,
): string {
  const keyFile = shown(r.apiKey.file)
  const keyExpr = `$(node -p "require('${keyFile}').secret")`
  const sdkRun = 'node --conditions=source --import tsx examples/node-checkout/run.ts'
  const collect = JSON.stringify({ userId: 'demo-user-1', templateId: r.template.id })
  return [
    '',
    'benefitkit is running: a sandbox platform and your connector, on loopback.',
    '',
    `  connector         ${r.connectorUrl}`,
    `    health          ${r.connectorUrl}/healthz   ${r.connectorUrl}/readyz`,
    `    redemption API  ${r.connectorUrl}/v1/benefits/lookup   ${r.connectorUrl}/v1/redemptions   ${r.connectorUrl}/v1/user-tokens`,
    `  sandbox platform  ${r.sandboxUrl}`,
    `    control API     ${r.sandboxUrl}/sandbox/state   (collect, faults, outage: packages/sandbox/README.md)`,
    `  data              ${shown(r.dataDir)}   (benefitkit.db, dev-keys.json, demo-api-key.json, connector.log)`,
    `  demo template     ${r.template.id}   ${r.template.state}`,
    keyCreated
      ? `  demo API key      ${secret}\n                    shown once; kept in ${keyFile} (mode 600) for the commands below`
      : `  demo API key      ${r.apiKey.id}   (the secret is in ${keyFile})`,
    '',
    'Try next:',
    '  1. A user collects the demo voucher in the super app (the sandbox calls your issueBenefit):',
    `       curl -s -X POST ${r.sandboxUrl}/sandbox/collect -H 'content-type: application/json' -d '${collect}'`,
    '     The answer\'s benefitDetails[0].benefitCode is the voucher code.',
    '  2. A checkout server looks it up and redeems it through the SDK (then watch syncUsedBenefit below):',
    `       BENEFITKIT_URL=${r.connectorUrl} BENEFITKIT_API_KEY=${keyExpr} \\`,
    `         ${sdkRun} --code <benefitCode> --order order-1`,
    `  3. Break the platform and watch the outbox retry:  curl -s -X POST ${r.sandboxUrl}/sandbox/outage -H 'content-type: application/json' -d '{"on":true}'`,
    `  4. What the platform has seen:  curl -s ${r.sandboxUrl}/sandbox/state`,
    '  5. All three flows against fresh state, with a timeline:  corepack pnpm demo',
    '',
    'Ctrl-C stops both. The timeline of platform calls follows.',
    '',
  ].join('\n')
}
