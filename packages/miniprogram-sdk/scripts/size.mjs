#!/usr/bin/env node
// Prints what a mini program ships: the core plus one transport, bundled from src/ with esbuild
// (ES2018, minified, the way a user's bundler would), then gzipped. Budget: 8 KB per pair.
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const src = fileURLToPath(new URL('../src/', import.meta.url))
const BUDGET = 8 * 1024
let over = false

async function measure(label, contents) {
  const result = await build({
    stdin: { contents, resolveDir: src, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2018',
    minify: true,
  })
  const code = result.outputFiles[0].contents
  const gzip = gzipSync(code, { level: 9 }).length
  if (gzip > BUDGET) over = true
  console.log(`${label.padEnd(18)} ${String(code.length).padStart(6)} B min  ${String(gzip).padStart(5)} B min+gzip`)
}

await measure('core', `export * from './index.ts'`)
for (const t of ['alipay', 'wechat', 'fetch']) {
  await measure(`core + ${t}`, `export * from './index.ts'\nexport * from './transports/${t}.ts'`)
}
// A typical checkout imports two functions; tree-shaking drops the rest.
await measure('checkout (alipay)', `export { createRedemptionClient, isBenefitKitError } from './index.ts'\nexport { alipayTransport } from './transports/alipay.ts'`)
if (over) {
  console.error(`over the ${BUDGET} B budget`)
  process.exit(1)
}
