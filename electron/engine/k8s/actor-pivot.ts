/**
 * The reverse pivot (`podtrail actor <principal|key>`): from a person — an Identity Center user, an IAM user, a
 * role session — everything they did in AWS and in Kubernetes, in one timeline.
 *
 * Who: an access key names the principal its chain resolves to (its events' subject, or the Kubernetes actions made
 * with it); anything else matches principals by substring (case-insensitive). What: the AWS events of every
 * credential whose root is that principal, the calls an exec session of theirs made with a pod's credentials
 * (`actor`), the actions on pods (table pod_actions) and their other Kubernetes requests made with one of their
 * access keys (user.extra.accessKeyId) or as one of their Kubernetes users.
 */
import type { Database } from 'better-sqlite3';
import { isoUtc } from '../util/time';
import { revealInvisible } from '../../../shared/invisible';
import { ACTOR_TIMELINE_LIMIT, type ActorEntry, type ActorQuery, type ActorTimeline, type ActorTimelineView } from '../../../shared/api';

export type { ActorEntry, ActorTimeline };

const KEY = /^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{8,}$/;

export function actorTimeline(db: Database, target: string, limit = 100_000): ActorTimeline {
  const principals = new Set<string>();
  if (KEY.test(target)) {
    for (const p of db
      .prepare(`SELECT DISTINCT s.resolution ->> '$.principal' FROM subjects s WHERE s.subject_key IN (?, ?, ?) OR s.subject_key LIKE ? || '#%'`)
      .pluck()
      .all(`key:${target}`, `own:${target}`, `outside:${target}`, `key:${target}`) as (string | null)[]) {
      if (p) principals.add(p);
    }
    for (const p of db.prepare('SELECT DISTINCT principal FROM pod_actions WHERE access_key_id = ?').pluck().all(target) as (string | null)[]) if (p) principals.add(p);
  } else {
    const like = `%${target.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    for (const p of db.prepare(`SELECT DISTINCT resolution ->> '$.principal' AS p FROM subjects WHERE p LIKE ? ESCAPE '\\'`).pluck().all(like) as (string | null)[]) if (p) principals.add(p);
    for (const p of db.prepare(`SELECT DISTINCT principal FROM pod_actions WHERE principal LIKE ? ESCAPE '\\'`).pluck().all(like) as (string | null)[]) if (p) principals.add(p);
  }
  const list = [...principals].sort();
  const entries: ActorEntry[] = [];
  if (list.length === 0) return { target, principals: list, entries };
  db.exec('DROP TABLE IF EXISTS temp.actor_principals; CREATE TEMP TABLE actor_principals (p TEXT PRIMARY KEY)');
  const addP = db.prepare('INSERT OR IGNORE INTO temp.actor_principals VALUES (?)');
  for (const p of list) addP.run(p);
  const keys = new Set<string>();
  // Their own credentials' events, and calls their exec sessions made with a pod's credentials.
  for (const r of db
    .prepare(
      `SELECT e.event_ms, e.event_id, e.event_source, e.event_name, e.access_key_id, s.resolution ->> '$.principal' AS principal,
              s.resolution ->> '$.actor.principal' AS actor, s.resolution ->> '$.actor.auditID' AS exec
       FROM subjects s JOIN event_subjects es ON es.subject_id = s.id JOIN events e ON e.id = es.event_rowid
       WHERE (s.resolution ->> '$.principal') IN (SELECT p FROM temp.actor_principals)
          OR EXISTS (SELECT 1 FROM temp.actor_principals ap WHERE instr(s.resolution ->> '$.actor.principal', ap.p) > 0)
       ORDER BY e.event_ms, e.event_id LIMIT ?`,
    )
    .all(limit) as { event_ms: number; event_id: string; event_source: string; event_name: string; access_key_id: string | null; principal: string | null; actor: string | null; exec: string | null }[]) {
    const own = r.principal !== null && principals.has(r.principal);
    if (own && r.access_key_id) keys.add(r.access_key_id);
    entries.push({
      ms: r.event_ms,
      time: isoUtc(r.event_ms),
      kind: 'aws',
      id: r.event_id,
      what: `${r.event_source.replace(/\.amazonaws\.com$/, '')}:${r.event_name}`,
      principal: own ? r.principal : r.actor,
      accessKeyId: r.access_key_id,
      via: own ? 'their credentials' : `their exec session ${r.exec} into the pod whose credentials made the call (${r.principal ?? 'pod'})`,
    });
  }
  const seen = new Set<string>();
  const usernames = new Set<string>();
  for (const r of db
    .prepare(`SELECT audit_id, action, ts_ms, target, kubernetes_user, access_key_id, principal, why FROM pod_actions WHERE principal IN (SELECT p FROM temp.actor_principals) ORDER BY ts_ms`)
    .all() as { audit_id: string; action: string; ts_ms: number; target: string; kubernetes_user: string; access_key_id: string | null; principal: string | null; why: string }[]) {
    seen.add(r.audit_id);
    usernames.add(r.kubernetes_user);
    if (r.access_key_id) keys.add(r.access_key_id);
    entries.push({ ms: r.ts_ms, time: isoUtc(r.ts_ms), kind: 'kubernetes', id: r.audit_id, what: `${r.action} ${r.target}`, principal: r.principal, accessKeyId: r.access_key_id, via: r.why });
  }
  // Their other Kubernetes requests (list pods, get secrets, …): by one of their access keys or Kubernetes users.
  if (keys.size > 0 || usernames.size > 0) {
    db.exec('DROP TABLE IF EXISTS temp.actor_keys; CREATE TEMP TABLE actor_keys (k TEXT PRIMARY KEY)');
    const addK = db.prepare('INSERT OR IGNORE INTO temp.actor_keys VALUES (?)');
    for (const k of keys) addK.run(k);
    for (const u of usernames) addK.run(`user:${u}`);
    let other = 0;
    for (const r of db
      .prepare(
        `SELECT audit_id, ts_ms, verb, resource, subresource, namespace, name, username, raw ->> '$.user.extra.accessKeyId[0]' AS key FROM k8s_audit
         WHERE (raw ->> '$.user.extra.accessKeyId[0]') IN (SELECT k FROM temp.actor_keys) OR ('user:' || username) IN (SELECT k FROM temp.actor_keys)
         ORDER BY ts_ms, audit_id, id`,
      )
      .iterate() as IterableIterator<{ audit_id: string; ts_ms: number; verb: string | null; resource: string | null; subresource: string | null; namespace: string | null; name: string | null; username: string | null; key: string | null }>) {
      if (seen.has(r.audit_id)) continue;
      // In time order: past `limit` of them, none can be among the timeline's first `limit` entries.
      if (++other > limit) break;
      seen.add(r.audit_id);
      const obj = `${r.resource ?? '?'}${r.subresource ? `/${r.subresource}` : ''}${r.namespace || r.name ? ` ${r.namespace ?? ''}${r.namespace && r.name ? '/' : ''}${r.name ?? ''}` : ''}`;
      entries.push({
        ms: r.ts_ms, time: isoUtc(r.ts_ms), kind: 'kubernetes', id: r.audit_id, what: `${r.verb ?? '?'} ${obj}`, principal: null, accessKeyId: r.key,
        via: r.key && keys.has(r.key) ? `user.extra.accessKeyId ${r.key} is one of their keys` : `Kubernetes user ${r.username}`,
      });
    }
    db.exec('DROP TABLE temp.actor_keys');
  }
  db.exec('DROP TABLE temp.actor_principals');
  entries.sort((a, b) => a.ms - b.ms || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  return { target, principals: list, entries: entries.slice(0, limit) };
}

/**
 * `actor.timeline` (the app's Person panel): the timeline's first `limit` entries, and whether it holds more. Runs on
 * a read-only connection too (the reader worker's): the temporary tables live in the connection's own temp schema.
 */
export function actorTimelineView(db: Database, q: ActorQuery): ActorTimelineView {
  const limit = q.limit ?? ACTOR_TIMELINE_LIMIT;
  const t = actorTimeline(db, q.target, limit + 1);
  return { ...t, entries: t.entries.slice(0, limit), truncated: t.entries.length > limit };
}

/** The timeline for the terminal: one line per entry, the principals matched first. */
export function actorTimelineText(t: ActorTimeline): string {
  const out: string[] = [];
  if (t.principals.length === 0) return `no principal in this case matches ${t.target}\n`;
  out.push(`Principals matching ${t.target}:`);
  for (const p of t.principals) out.push(`  ${p}`);
  const aws = t.entries.filter((e) => e.kind === 'aws').length;
  out.push('', `Timeline: ${t.entries.length} entries (${aws} AWS events, ${t.entries.length - aws} Kubernetes requests)`);
  for (const e of t.entries) {
    out.push(`  ${e.time}  ${e.kind === 'aws' ? 'aws ' : 'k8s '}  ${e.what}  ${e.id}${e.accessKeyId ? `  key ${e.accessKeyId}` : ''}${e.via === 'their credentials' ? '' : `\n      via ${e.via}`}`);
  }
  return revealInvisible(out.join('\n')).replace(/\r/g, '\\u{000d}') + '\n';
}
