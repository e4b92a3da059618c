/** Migration 0110: the table of actions on pods (k8s/pod-actors.ts), added to a case of the schema before it. */
import { describe, expect, it } from 'vitest';
import { migrate, openCase, schemaVersion } from '../../../electron/engine/db/open';
import { MIGRATIONS } from '../../../electron/engine/db/migrations';

describe('migration 0110 (pod actors)', () => {
  it('adds pod_actions with its indexes to a case at the version before it, and nothing else', () => {
    const before = MIGRATIONS[MIGRATIONS.findIndex((m) => m.version === 110) - 1]!.version;
    const db = openCase(':memory:', { targetVersion: before });
    const objects = () => (db.prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]);
    const had = objects();
    expect(had).not.toContain('pod_actions');
    migrate(db, 110);
    expect(schemaVersion(db)).toBe(110);
    expect(objects().filter((n) => !had.includes(n))).toEqual(['pod_actions', 'pod_actions_key', 'pod_actions_principal']);
    const cols = (db.prepare("SELECT name FROM pragma_table_info('pod_actions')").pluck().all() as string[]);
    expect(cols).toEqual(['id', 'audit_id', 'action', 'ts_ms', 'end_ms', 'namespace', 'target', 'pods', 'kubernetes_user', 'access_key_id', 'principal', 'confidence', 'chain_keys', 'why']);
    db.close();
  });
});
