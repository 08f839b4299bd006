import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

/** `benefitkit apikeys …` as a user runs it: a real process, its output and exit code. */
const test = suite('apikeys: CLI')
const here = dirname(fileURLToPath(import.meta.url))
const cliEntry = resolve(here, '../src/cli.ts')
const dir = mkdtempSync(join(tmpdir(), 'benefitkit-apikeys-cli-'))
const dbFile = join(dir, 'benefitkit.db')
test.after(() => rmSync(dir, { recursive: true, force: true }))

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', cliEntry, ...args], {
      env: { ...process.env, BENEFITKIT_DB: dbFile, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

test('create prints the secret once (human and --json {"id","secret"}), list never shows it, revoke marks it', async () => {
  const human = await cli('apikeys', 'create', '--name', 'checkout server')
  assert.is(human.code, 0, human.stderr)
  const secret = /^(bk_([A-Za-z0-9]+)_[A-Za-z0-9_-]{43})$/m.exec(human.stdout)
  assert.ok(secret, human.stdout)
  assert.match(human.stdout, /shown only now/)

  const json = await cli('apikeys', 'create', '--json')
  assert.is(json.code, 0, json.stderr)
  const created = JSON.parse(json.stdout) as Record<string, string>
  assert.equal(Object.keys(created).sort(), ['id', 'secret'])
  assert.match(created.secret!, new RegExp(`^bk_${created.id}_[A-Za-z0-9_-]{43}$`))

  const list = await cli('apikeys', 'list', '--json')
  assert.is(list.code, 0, list.stderr)
  const keys = JSON.parse(list.stdout) as Array<Record<string, unknown>>
  assert.equal(keys.map((k) => k.id), [secret![2], created.id])
  assert.is(keys[0]!.name, 'checkout server')
  assert.not.ok(list.stdout.includes(secret![1]!.slice(20)) || list.stdout.includes(created.secret!.slice(20)), 'no secrets listed')
  const table = await cli('apikeys', 'list')
  assert.match(table.stdout, /^ID\s+NAME\s+STATUS/)
  assert.match(table.stdout, new RegExp(`${created.id}\\s+unnamed\\s+active`))

  const revoked = await cli('apikeys', 'revoke', created.id!)
  assert.is(revoked.code, 0, revoked.stderr)
  assert.match(revoked.stdout, /Revoked API key/)
  const again = await cli('apikeys', 'revoke', created.id!, '--json')
  assert.is(again.code, 0)
  assert.is(JSON.parse(again.stdout).status, 'already-revoked')
  const after = JSON.parse((await cli('apikeys', 'list', '--json')).stdout) as Array<Record<string, unknown>>
  assert.type(after.find((k) => k.id === created.id)!.revokedAt, 'string')
  assert.is(after.find((k) => k.id === secret![2])!.revokedAt, null)
})

test('exit codes: 1 for an unknown key, 2 for a missing or malformed id', async () => {
  const unknown = await cli('apikeys', 'revoke', 'NoSuchKey')
  assert.is(unknown.code, 1)
  assert.match(unknown.stderr, /no API key NoSuchKey/)
  const missing = await cli('apikeys', 'revoke')
  assert.is(missing.code, 2)
  assert.match(missing.stderr, /ID/)
  const malformed = await cli('apikeys', 'revoke', 'not-an-id!')
  assert.is(malformed.code, 2)
  const noCommand = await cli('apikeys')
  assert.is(noCommand.code, 2)
})

test.run()
