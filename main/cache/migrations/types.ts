/** One schema version: its SQL runs in its own transaction, which also sets user_version. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Plain DDL/DML; must not contain BEGIN/COMMIT (the runner owns the transaction). */
  readonly sql: string;
}
