/**
 * The table's star and tag filters (issue 17: `EventFilters.starred`, `EventFilters.tag`) and the People section's
 * audit records (issue 15: `evidence.audit`), through the API table on a generated bundle with EKS audit logs and
 * kubectl users (generator option `k8sActors`), plus a second record under one eventID (a variant).
 *
 * Every set is checked against the annotations table read here on its own: the page, the total (never from the
 * rollup), the histogram and the export hold exactly the annotated events, and follow every change at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseService } from '../../../electron/engine/service/case-service';
import { countQuery, rollupFilters, whereClause } from '../../../electron/engine/service/event-query';
import type { EventFilters, EventPage, EvidenceRecordView, Histogram, TableExportChunk, TraceView } from '../../../shared/api';
import type { AttributionRecord, PodActorAction } from '../../../shared/attribution';
import type { NoteTarget, NoteView } from '../../../shared/notes';
import { ingestedService, type ServiceHarness } from '../../helpers/service';
import { trailJson } from '../../helpers/evidence';
import { auditRecordInFile } from '../../helpers/audit-files';

let service: CaseService;
let ok: ServiceHarness['ok'];
let casePath: string;
let pushes: ServiceHarness['pushes'];
const byTime = { column: 'eventTime', dir: 'asc' } as const;

/** One event row as the oracle reads it: the columns the annotations can reach. */
interface Row {
  id: number;
  event_id: string;
  variant: number;
  access_key_id: string | null;
  aws_region: string | null;
  pod_name: string | null;
  resolution: string;
}
let rows: Row[] = [];

function readRows(): Row[] {
  const db = new Database(casePath, { readonly: true });
  try {
    return db
      .prepare('SELECT e.id, e.event_id, e.variant, e.access_key_id, e.aws_region, s.pod_name, s.resolution FROM events e JOIN event_subjects es ON es.event_rowid = e.id JOIN subjects s ON s.id = es.subject_id')
      .all() as Row[];
  } finally {
    db.close();
  }
}

/** The active annotations, read from the table itself. */
function annotations(): { target_kind: string; target: string; kind: string; text: string }[] {
  const db = new Database(casePath, { readonly: true });
  try {
    return db.prepare('SELECT target_kind, target, kind, text FROM annotations WHERE removed_at IS NULL').all() as ReturnType<typeof annotations>;
  } finally {
    db.close();
  }
}

/** Does an event target (`<eventID>` or `<eventID>#<n>`) name this row? */
function names(target: string, r: Row): boolean {
  if (target === r.event_id) return true;
  const m = /^(.+)#(\d+)$/.exec(target);
  return !!m && m[1] === r.event_id && Number(m[2]) === r.variant;
}

/** The oracle: row ids the filter must give, from the annotations table and the rows' own columns. */
function expected(f: { starred?: boolean; tag?: string }): number[] {
  const notes = annotations();
  const out = rows.filter((r) => {
    const res = JSON.parse(r.resolution) as { principal?: string | null; actor?: { principal?: string } | null };
    if (f.starred && !notes.some((n) => n.kind === 'star' && n.target_kind === 'event' && names(n.target, r))) return false;
    if (f.tag !== undefined) {
      const tagged = notes.filter((n) => n.kind === 'tag' && n.text === f.tag);
      const hit = tagged.some(
        (n) =>
          (n.target_kind === 'event' && names(n.target, r)) ||
          (n.target_kind === 'session' && n.target === r.access_key_id) ||
          (n.target_kind === 'pod' && n.target === r.pod_name) ||
          (n.target_kind === 'principal' && (n.target === res.principal || n.target === res.actor?.principal)),
      );
      if (!hit) return false;
    }
    return true;
  });
  return out.map((r) => r.id).sort((a, b) => a - b);
}

async function page(filters: EventFilters): Promise<{ total: number; ids: number[]; eventIDs: string[] }> {
  const p = await ok<EventPage>('events.query', { filters, sort: byTime, offset: 0, limit: 1000 });
  expect(p.rows.length, 'one page holds them all').toBe(p.total);
  return { total: p.total, ids: p.rows.map((r) => r.rowid).sort((a, b) => a - b), eventIDs: p.rows.map((r) => r.eventID) };
}

/** The table export (JSON Lines) of the filtered events: their eventIDs, in its order. */
async function exported(filters: EventFilters): Promise<string[]> {
  let chunk = await ok<TableExportChunk>('events.export', { filters, format: 'jsonl' });
  let body = chunk.body;
  while (!chunk.done) {
    chunk = await ok<TableExportChunk>('events.export', { exportId: chunk.exportId });
    body += chunk.body;
  }
  return body
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as AttributionRecord).eventID);
}

/** Page, total, histogram and export all hold exactly what the oracle says (alone, or with a region filter). */
async function check(filters: { starred?: boolean; tag?: string }, region?: string): Promise<number[]> {
  const inRegion = new Set(rows.filter((r) => region === undefined || r.aws_region === region).map((r) => r.id));
  const wanted = expected(filters).filter((id) => inRegion.has(id));
  const f: EventFilters = { ...filters, ...(region === undefined ? {} : { region }) };
  const got = await page(f);
  expect({ f, ids: got.ids }).toEqual({ f, ids: wanted });
  expect(got.total).toBe(wanted.length);
  const h = await ok<Histogram>('events.histogram', { filters: f, buckets: 50 });
  expect(h.counts.reduce((a, b) => a + b, 0), 'the histogram counts the same events').toBe(wanted.length);
  expect((await exported(f)).sort(), 'the export holds the same events').toEqual([...got.eventIDs].sort());
  return got.ids;
}

const add = (target: NoteTarget, kind: 'star' | 'tag', text = '') => ok<NoteView>('notes.add', { target, kind, text });

let variantOf = '';

beforeAll(async () => {
  ({ service, ok, casePath, pushes } = await ingestedService('note-filters', { events: 2500, seed: 7301, k8s: true, k8sActors: true, hours: 6 }));
  // A second, different record under one eventID (a variant), delivered in a file of its own.
  const first = (await ok<EventPage>('events.query', { filters: { eventSource: 's3.amazonaws.com' }, sort: byTime, offset: 0, limit: 1 })).rows[0]!;
  const raw = (await ok<TraceView>('trace.get', { target: first.eventID })).event!.raw;
  const tampered = { ...(JSON.parse(raw) as Record<string, unknown>), sourceIPAddress: '203.0.113.250' };
  const file = join(dirname(casePath), 'variant.json');
  writeFileSync(file, trailJson([tampered]));
  await ok('ingest.start', { paths: [file] });
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (pushes.filter((p) => p.name === 'ingest.done').length >= 2) {
        clearInterval(t);
        resolve();
      }
    }, 20);
  });
  variantOf = first.eventID;
  rows = readRows();
  expect(rows.filter((r) => r.event_id === variantOf).map((r) => r.variant).sort()).toEqual([0, 1]);
}, 240_000);

afterAll(() => service?.close());

describe('filters by star and by tag', () => {
  it('are answered row by row with bound parameters, never from the rollup', () => {
    expect(rollupFilters({ starred: true })).toBe(false);
    expect(rollupFilters({ tag: 'x' })).toBe(false);
    expect(rollupFilters({ starred: false, region: 'us-east-1' })).toBe(true);
    expect(countQuery({ starred: true, region: 'us-east-1' }).sql).not.toContain('event_rollup');
    expect(countQuery({ tag: 'x' }).sql).not.toContain('event_rollup');
    const w = whereClause({ tag: "x'; DROP TABLE events;--" });
    expect(w.sql).not.toContain('DROP');
    expect(w.params).toEqual(Array(6).fill("x'; DROP TABLE events;--"));
    expect(whereClause({ starred: false, tag: '' })).toEqual({ sql: '', params: [] });
  });

  it('★ keeps exactly the starred events, a variant alone or every record of an eventID, and follows every change', async () => {
    expect((await page({ starred: true })).total).toBe(0);
    const all = (await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 1000 })).rows;
    const picks = [all[3]!, all[40]!, all[200]!];
    for (const r of picks) await add({ kind: 'event', value: r.eventID }, 'star');
    const variant = await add({ kind: 'event', value: `${variantOf}#1` }, 'star');
    // Stars on entities do not star their events.
    await add({ kind: 'session', value: picks[0]!.accessKeyId ?? all.find((r) => r.accessKeyId)!.accessKeyId! }, 'star');
    const ids = await check({ starred: true });
    const variantRow = rows.find((r) => r.event_id === variantOf && r.variant === 1)!;
    expect(ids).toContain(variantRow.id);
    expect(ids).not.toContain(rows.find((r) => r.event_id === variantOf && r.variant === 0)!.id);
    expect(ids.length).toBe(picks.length + 1);
    // With another filter: the intersection.
    await check({ starred: true }, all[3]!.region!);
    // Removing a star takes its event out at once (the total is not cached), adding one puts it in.
    await ok('notes.remove', { id: variant.id });
    expect(await check({ starred: true })).not.toContain(variantRow.id);
    await add({ kind: 'event', value: variantOf }, 'star');
    const both = await check({ starred: true });
    for (const r of rows.filter((x) => x.event_id === variantOf)) expect(both).toContain(r.id);
  });

  it('a tag keeps the events tagged, and those of a tagged session, pod or person', async () => {
    const all = (await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 1000 })).rows;
    await add({ kind: 'event', value: all[10]!.eventID }, 'tag', 'exfil');
    await add({ kind: 'event', value: all[11]!.eventID }, 'tag', 'exfil');
    await add({ kind: 'event', value: all[12]!.eventID }, 'tag', 'other');
    const events = await check({ tag: 'exfil' });
    expect(events.length).toBe(2);
    // A session: every event signed with its key, as the key filter gives them.
    const key = all.find((r) => r.accessKeyId && r.mechanism === 'irsa')?.accessKeyId ?? all.find((r) => r.accessKeyId)!.accessKeyId!;
    await add({ kind: 'session', value: key }, 'tag', 'exfil');
    const withSession = await check({ tag: 'exfil' });
    expect(withSession.length).toBeGreaterThan(events.length);
    const keyed = await page({ accessKeyId: key });
    for (const id of keyed.ids) expect(withSession).toContain(id);
    // A pod: its events, as the pod filter gives them.
    const pod = all.find((r) => r.pod && r.accessKeyId !== key)!.pod!;
    await add({ kind: 'pod', value: pod }, 'tag', 'exfil');
    const withPod = await check({ tag: 'exfil' });
    expect(withPod.length).toBeGreaterThan(withSession.length);
    for (const id of (await page({ pod })).ids) expect(withPod).toContain(id);
    // A person: what *their calls* gives (the principal filter): their own calls, and those made through a pod.
    const person = rows.map((r) => (JSON.parse(r.resolution) as { actor?: { principal?: string } | null }).actor?.principal).find((p) => p)!;
    expect(person, 'a call made during an exec session').toBeTruthy();
    await add({ kind: 'principal', value: person }, 'tag', 'exfil');
    const withPerson = await check({ tag: 'exfil' });
    const theirs = await page({ principal: person });
    expect(theirs.total).toBeGreaterThan(0);
    for (const id of theirs.ids) expect(withPerson).toContain(id);
    await check({ tag: 'other' });
    await check({ tag: 'exfil', starred: true });
    await check({ tag: 'exfil' }, all[10]!.region!);
    // A removed tag no longer filters.
    const personTag = (await ok<NoteView[]>('notes.list', { targets: [{ kind: 'principal', value: person }] })).find((n) => n.kind === 'tag')!;
    await ok('notes.remove', { id: personTag.id });
    expect(await check({ tag: 'exfil' })).toEqual(withPod);
    expect((await page({ tag: 'no-such-tag' })).total).toBe(0);
  });
});

describe('evidence.audit: the audit record behind an action on a pod', () => {
  it('gives the record exactly as read, with each file, record index and the file SHA-256', async () => {
    const db = new Database(casePath, { readonly: true });
    const auditIDs = db.prepare('SELECT DISTINCT audit_id FROM pod_actions ORDER BY audit_id').pluck().all() as string[];
    db.close();
    expect(auditIDs.length).toBeGreaterThan(5);
    // Those the People section lists for some event.
    const listed = new Set<string>();
    const traced = await ok<EventPage>('events.query', { filters: { mechanism: 'irsa' }, sort: byTime, offset: 0, limit: 200 });
    for (const r of traced.rows.slice(0, 60)) {
      const t = await ok<TraceView>('trace.get', { target: r.eventID });
      for (const p of ((t.attribution ?? t.resolution).podActors ?? []) as PodActorAction[]) listed.add(p.auditID);
    }
    const ids = [...new Set([...listed].slice(0, 10).concat(auditIDs.slice(0, 10)))];
    let sources = 0;
    for (const id of ids) {
      const rec = await ok<EvidenceRecordView | null>('evidence.audit', { auditID: id });
      expect(rec, id).not.toBeNull();
      expect(rec!.kind).toBe('audit');
      expect(rec!.id).toBe(id);
      expect((JSON.parse(rec!.raw) as { auditID: string }).auditID).toBe(id);
      expect(rec!.provenance.length, id).toBeGreaterThan(0);
      for (const p of rec!.provenance) {
        expect(auditRecordInFile(p.path, p.recordIndex), `${id} in ${p.path} #${p.recordIndex}`).toBe(rec!.raw);
        expect(createHash('sha256').update(readFileSync(p.path)).digest('hex')).toBe(p.fileSha256);
        sources++;
      }
    }
    expect(sources).toBeGreaterThan(ids.length - 1);
    expect(await ok('evidence.audit', { auditID: 'no-such-audit-id' })).toBeNull();
  });
});
