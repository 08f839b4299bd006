/**
 * The CLI as a user runs it: a separate process talking to a running sandbox
 * over the control API; `serve` as a process that comes up and stops on SIGTERM.
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { harness, syncRequest } from './support/harness.js'
import { testKeys } from './support/keys.js'

const keys = testKeys()
const root = fileURLToPath(new URL('../../../', import.meta.url))
const cliArgs = ['--conditions=source', '--import', 'tsx', 'packages/sandbox/src/cli.ts']

interface Run {
  code: number
  stdout: string
  stderr: string
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...cliArgs, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

test('state, faults, release and collect against a running sandbox (human and --json)', async () => {
  const h = await harness(keys)
  try {
    await h.syncApproved('t1')
    const [stateJson, added] = await Promise.all([
      cli('state', '--url', h.url, '--json'),
      cli('faults', 'add', '--url', h.url, '--api', 'syncUsedBenefit', '--kind', 'code', '--times', '2', '--json'),
    ])
    assert.is(stateJson.code, 0, stateJson.stderr)
    assert.equal(JSON.parse(stateJson.stdout).templates.map((t: any) => t.benefitTemplateId), ['t1'])
    assert.is(added.code, 0, added.stderr)
    assert.is(JSON.parse(added.stdout)[0].remaining, 2)
    assert.is(h.sandbox.faultSettings().faults[0]?.api, 'syncUsedBenefit')

    const release = await cli('release', 't1', '--url', h.url)
    assert.is(release.code, 0, release.stderr)
    assert.match(release.stdout, /released t1/)
    const collect = await cli('collect', '--url', h.url, '--user', 'u1', '--template', 't1', '--quantity', '2')
    assert.is(collect.code, 0, collect.stderr)
    assert.match(collect.stdout, /^ISSUED/)
    assert.is(h.sandbox.state.wallets.u1?.length, 2)
  } finally {
    await h.close()
  }
})

test('exit codes: 2 for usage errors (with the reason), 1 when the sandbox cannot be reached', async () => {
  const h = await harness(keys)
  try {
    const [missingKind, badFault, unreachable] = await Promise.all([
      cli('faults', 'add', '--url', h.url, '--api', 'syncBenefit'),
      cli('faults', 'add', '--url', h.url, '--api', 'issueBenefit', '--kind', 'drop'),
      cli('state', '--url', 'http://127.0.0.1:1'),
    ])
    assert.is(missingKind.code, 2)
    assert.match(missingKind.stderr, /--kind/)
    assert.is(badFault.code, 2)
    assert.match(badFault.stderr, /INVALID_FAULT/)
    assert.is(unreachable.code, 1)
    assert.match(unreachable.stderr, /cannot reach the sandbox/)
  } finally {
    await h.close()
  }
})

test('serve: generates and keeps the platform key, answers signed calls, prints a timeline, stops on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'))
  try {
    const isvKeyFile = join(dir, 'isv.pub')
    writeFileSync(isvKeyFile, keys.isv.publicKeyBase64)
    const child = spawn(
      process.execPath,
      [...cliArgs, 'serve', '--port', '0', '--client-id', 'isv-test-client', '--isv-public-key', isvKeyFile, '--data-dir', join(dir, 'data'), '--json'],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
    )
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const deadline = Date.now() + 20_000
    while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const listening = JSON.parse(out.split('\n')[0]!)
    assert.is(listening.type, 'listening')
    const savedPublic = readFileSync(join(dir, 'data', 'platform-public.key'), 'utf8').trim()
    assert.is(listening.platformPublicKey, savedPublic)
    assert.ok(existsSync(join(dir, 'data', 'platform-private.key')))

    const { callPlatform } = await import('./support/isv-caller.js')
    const { loadPublicKey, PublicKeyring } = await import('@benefitkit/shared/signing')
    const answer = await callPlatform(listening.url, 'syncBenefit', syncRequest('s1', 't1'), {
      key: keys.isvSigning,
      platformKeyring: new PublicKeyring({ '1': loadPublicKey(savedPublic) }),
    })
    assert.ok(answer.signed, 'signed with the key it saved')
    assert.is(answer.json.result.resultCode, 'SUCCESS')
    while (!out.includes('"sync-accepted"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    assert.match(out, /"type":"call"/)

    child.kill('SIGTERM')
    assert.is(await exited, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('serve without the ISV public key is a usage error that says what to pass', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'))
  try {
    const run = await cli('serve', '--port', '0', '--data-dir', dir)
    assert.is(run.code, 2)
    assert.match(run.stderr, /--isv-public-key/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
