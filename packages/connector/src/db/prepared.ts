import type { Compilable, CompiledQuery, QueryResult } from 'kysely'

/** Anything that runs compiled queries: the database or a transaction. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>
}

/** Hands out a stand-in for a named parameter while a query is built. */
export type Param<P> = <K extends keyof P & string>(name: K) => P[K]

export interface PreparedQuery<P, R> {
  readonly sql: string
  run(runner: QueryRunner, params: P): Promise<QueryResult<R>>
}

const MARK = '\u0000param:'

/**
 * Builds and compiles a kysely query once, with named parameters, and then
 * only swaps the values per call. Building and compiling costs more than
 * running a simple statement on SQLite, and the SQL stays the dialect's own
 * (the same code compiles for PostgreSQL).
 *
 * ```ts
 * const byCode = prepareQuery((p: Param<{ code: string }>) =>
 *   db.selectFrom('instances').selectAll().where('code', '=', p('code')))
 * const { rows } = await byCode.run(trx, { code })
 * ```
 */
export function prepareQuery<P extends object, R>(build: (param: Param<P>) => Compilable<R>): PreparedQuery<P, R> {
  const param = ((name: string) => `${MARK}${name}`) as Param<P>
  const compiled = build(param).compile()
  // Each slot is either a named parameter or a constant the builder inlined as a parameter.
  const slots = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(MARK) ? { name: value.slice(MARK.length) } : { value },
  )
  return {
    sql: compiled.sql,
    run(runner, params) {
      // A missing value binds as NULL rather than failing inside the driver.
      const parameters = slots.map((slot) => ('name' in slot ? ((params as Record<string, unknown>)[slot.name!] ?? null) : slot.value))
      return runner.executeQuery<R>({ query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters })
    },
  }
}
