import type { ConnectorContext } from '../context.js'

/** Delivers outbox rows to the platform (issue #4 fills this in). */
export class OutboxWorker {
  readonly #context: ConnectorContext
  constructor(context: ConnectorContext) {
    this.#context = context
  }
  start(): void {}
  wake(): void {}
  async stop(): Promise<void> {
    void this.#context
  }
}
