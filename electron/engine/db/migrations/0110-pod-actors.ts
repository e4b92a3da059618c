import type { Database } from 'better-sqlite3';

/**
 * 0110: who did what to pods, from the EKS audit log (k8s/actors.ts), each action with the AWS principal behind its
 * Kubernetes user. Derived data, rebuilt with the attribution; `podtrail actor` reads it for the reverse pivot.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE pod_actions (
      id              INTEGER PRIMARY KEY,
      audit_id        TEXT NOT NULL,
      action          TEXT NOT NULL,
      ts_ms           INTEGER NOT NULL,
      end_ms          INTEGER,
      namespace       TEXT NOT NULL,
      target          TEXT NOT NULL,
      pods            TEXT NOT NULL,
      kubernetes_user TEXT NOT NULL,
      access_key_id   TEXT,
      principal       TEXT,
      confidence      TEXT NOT NULL,
      chain_keys      TEXT NOT NULL,
      why             TEXT NOT NULL
    ) STRICT;
    CREATE INDEX pod_actions_principal ON pod_actions(principal);
    CREATE INDEX pod_actions_key ON pod_actions(access_key_id);
  `);
}
