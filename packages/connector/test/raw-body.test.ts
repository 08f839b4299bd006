import { once } from 'node:events'
import { createServer, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BodyTooLargeError, readRawBody } from '../src/http/raw-body.js'

/** A loopback server that hands every request's readRawBody outcome to the test. */
async function withServer(limit: number, run: (port: number, next: () => Promise<Buffer | Error>) => Promise<void>): Promise<void> {
  const outcomes: Array<Promise<Buffer | Error>> = []
  const server = createServer((req: IncomingMessage, res) => {
    const outcome = readRawBody(req, limit).catch((error: Error) => error)
    outcomes.push(outcome)
    void outcome.then((o) => res.end(o instanceof Error ? o.name : `${o.length}`))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  try {
    await run(port, async () => {
      while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      return outcomes.shift()!
    })
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

function post(port: number, chunks: string[], headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    for (const chunk of chunks) req.write(chunk)
    req.end()
  })
}

test('readRawBody: the exact bytes, in one chunk or several', async () => {
  await withServer(1024, async (port, next) => {
    await post(port, ['{"a":1}'])
    assert.equal(await next(), Buffer.from('{"a":1}'))
    await post(port, ['{"a":', '"é"', '}'])
    assert.equal(await next(), Buffer.from('{"a":"é"}'))
    await post(port, [])
    assert.equal(await next(), Buffer.alloc(0))
  })
})

test('readRawBody: over the limit, by Content-Length or while streaming, is BodyTooLargeError (and the caller still gets an answer)', async () => {
  await withServer(10, async (port, next) => {
    assert.is(await post(port, ['x'.repeat(11)]), 'BodyTooLargeError')
    assert.instance(await next(), BodyTooLargeError)
    // Chunked: no Content-Length, the limit is noticed mid-stream.
    assert.is(await post(port, ['x'.repeat(6), 'x'.repeat(6)], { 'transfer-encoding': 'chunked' }), 'BodyTooLargeError')
    const error = await next()
    assert.instance(error, BodyTooLargeError)
    assert.is((error as BodyTooLargeError).limit, 10)
  })
})

test('readRawBody: a caller that hangs up mid-body rejects the read instead of leaving it pending', async () => {
  await withServer(1024, async (port, next) => {
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"partial":')
    await new Promise((resolve) => setTimeout(resolve, 30))
    socket.destroy()
    const outcome = await next()
    assert.instance(outcome, Error)
    assert.not.instance(outcome, BodyTooLargeError)
  })
})

test.run()
