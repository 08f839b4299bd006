import type SQLite from 'better-sqlite3'
import type { PublicKeyring, SigningKey } from '@benefitkit/shared/signing'
import type { Config } from './config.js'
import type { Durability } from './db/durability.js'
import type { GroupCommit } from './db/group-commit.js'
import type { Db } from './db/open.js'
import type { Logger } from './logger.js'
import type { InstanceCache } from './redemption/instance-cache.js'

/** Something that can be told "a new outbox row was committed: look now". */
export interface OutboxWaker {
  wake(): void
}

/**
 * What every part of the connector is handed: built once at start (keys parsed
 * once), never per request.
 */
export interface ConnectorContext {
  readonly config: Config
  readonly db: Db
  readonly sqlite: SQLite.Database
  readonly keys: {
    /** Our private key and the keyVersion the platform knows it by. */
    readonly signing: SigningKey
    /** The platform's public keys by keyVersion (two during a rotation). */
    readonly platform: PublicKeyring
  }
  readonly logger: Logger
  readonly outbox: OutboxWaker
  /**
   * The one group commit every hot write path (issueBenefit, redemptions) runs
   * its transaction through, so concurrent requests share a COMMIT (an fsync).
   */
  readonly commits: GroupCommit
  /**
   * When commits are on disk. Everything that acknowledges or calls out waits
   * for `settled()` first: every HTTP answer (http/durable-answers.ts) and every
   * outbox delivery. See db/durability.ts.
   */
  readonly durability: Durability
  /** Instances by code for redemption lookups; redeems and reversals invalidate it (redemption/instance-cache.ts). */
  readonly instanceCache: InstanceCache
  /** Epoch ms; injectable so tests can move time. */
  readonly now: () => number
}
