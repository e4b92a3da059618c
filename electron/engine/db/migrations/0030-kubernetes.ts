import type { Database } from 'better-sqlite3';

/**
 * 0030: Kubernetes evidence. EKS control-plane audit events keep their raw text beside the columns the pod
 * timeline needs; each (auditID, stage) is stored once, with every place it was read from.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE k8s_audit (
      id            INTEGER PRIMARY KEY,
      audit_id      TEXT NOT NULL,
      stage         TEXT NOT NULL,
      ts_ms         INTEGER NOT NULL,
      verb          TEXT,
      username      TEXT,
      source_ip     TEXT,
      resource      TEXT,
      subresource   TEXT,
      namespace     TEXT,
      name          TEXT,
      code          INTEGER,
      raw_sha256    TEXT NOT NULL,
      raw           TEXT NOT NULL,
      UNIQUE (audit_id, stage)
    ) STRICT;
    CREATE INDEX k8s_audit_object ON k8s_audit(resource, subresource, verb);

    CREATE TABLE k8s_audit_sources (
      audit_rowid  INTEGER NOT NULL REFERENCES k8s_audit(id),
      file_id      INTEGER NOT NULL REFERENCES evidence_files(id),
      record_index INTEGER NOT NULL,
      PRIMARY KEY (audit_rowid, file_id, record_index)
    ) STRICT, WITHOUT ROWID;
  `);
}
