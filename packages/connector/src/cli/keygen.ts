import { writeFileSync, existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defineCommand } from 'citty'
import { generateRsaKeyPair } from '@benefitkit/shared/signing'
import { CliFailure, output } from './common.js'

export default defineCommand({
  meta: { name: 'keygen', description: 'Generate an RSA-2048 key pair (bare base64 as the platform exchanges keys, and PEM)' },
  args: {
    out: { type: 'string', description: 'folder to write the key files into (default: print them)', valueHint: 'DIR' },
    name: { type: 'string', description: 'file name prefix', default: 'isv' },
    force: { type: 'boolean', description: 'overwrite existing files', default: false },
    json: { type: 'boolean', description: 'machine-readable output', default: false },
  },
  run({ args }) {
    const pair = generateRsaKeyPair()
    if (!args.out) {
      output(args.json, { privateKey: pair.privateKeyBase64, publicKey: pair.publicKeyBase64 }, () =>
        [
          '# Private key (keep it secret; BENEFITKIT_PRIVATE_KEY):',
          pair.privateKeyBase64,
          '',
          '# Public key (upload it to the platform):',
          pair.publicKeyBase64,
        ].join('\n'),
      )
      return
    }
    const dir = resolve(args.out)
    mkdirSync(dir, { recursive: true })
    const files = {
      privateKey: join(dir, `${args.name}-private.b64`),
      publicKey: join(dir, `${args.name}-public.b64`),
      privateKeyPem: join(dir, `${args.name}-private.pem`),
      publicKeyPem: join(dir, `${args.name}-public.pem`),
    }
    if (!args.force) {
      const existing = Object.values(files).filter((f) => existsSync(f))
      if (existing.length) throw new CliFailure(`refusing to overwrite ${existing.join(', ')} (add --force)`)
    }
    writeFileSync(files.privateKey, `${pair.privateKeyBase64}\n`, { mode: 0o600 })
    writeFileSync(files.privateKeyPem, pair.privateKeyPem, { mode: 0o600 })
    writeFileSync(files.publicKey, `${pair.publicKeyBase64}\n`)
    writeFileSync(files.publicKeyPem, pair.publicKeyPem)
    output(args.json, { files, publicKey: pair.publicKeyBase64 }, () =>
      [
        `Wrote ${files.privateKey} and ${files.privateKeyPem} (mode 600)`,
        `Wrote ${files.publicKey} and ${files.publicKeyPem}`,
        '',
        `Next: set BENEFITKIT_PRIVATE_KEY_FILE=${files.privateKey} and upload the public key to the platform.`,
      ].join('\n'),
    )
  },
})
