/**
 * Stars, tags and notes (issue 17 part 4) through the API table, on a generated bundle with planted attacks:
 * stored in the case (migration 0100), each change an `annotate` entry of the custody log with the chain intact,
 * never deleted (removal marks the row; triggers refuse edits and deletes), unknown targets and bad tags refused;
 * and the case report (`report.case`) of several events and a whole session, with the notes, the summary table,
 * the examiner and case id, the same bytes for the same case.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseService } from '../../../electron/engine/service/case-service';
import { migrate, openCase, schemaVersion } from '../../../electron/engine/db/open';
import { checkCustody } from '../../../electron/engine/custody/log';
import { NoteStore } from '../../../electron/engine/notes/store';
import type { CaseReportModel } from '../../../electron/engine/report/case-model';
import type { CustodyLog, EventPage, ReportFile } from '../../../shared/api';
import type { NoteView } from '../../../shared/notes';
import { ingestedService, type ServiceHarness } from '../../helpers/service';

let service: CaseService;
let ok: ServiceHarness['ok'];
let casePath: string;
let flagged: EventPage['rows'];
const byTime = { column: 'eventTime', dir: 'asc' } as const;

beforeAll(async () => {
  ({ service, ok, casePath } = await ingestedService('notes', { events: 3000, seed: 11, k8s: true }));
  flagged = (await ok<EventPage>('events.query', { filters: { flag: 'any' }, sort: byTime, offset: 0, limit: 1000 })).rows.filter((r) => r.accessKeyId);
  expect(flagged.length).toBeGreaterThan(3);
}, 180_000);

afterAll(() => service.close());

async function fails(name: string, input: unknown): Promise<{ code: string; message: string }> {
  const r = await service.dispatch(name, input);
  expect(r.ok, `${name} should fail`).toBe(false);
  return (r as { ok: false; error: { code: string; message: string } }).error;
}

describe('migration 0100', () => {
  it('adds the annotations table to a case at version 80, refusing deletes and edits', () => {
    const db = openCase(':memory:', { targetVersion: 80 });
    expect(schemaVersion(db)).toBe(80);
    migrate(db);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(100);
    db.prepare("INSERT INTO annotations (id, target_kind, target, kind, text, created_at, created_by, custody_seq) VALUES (1, 'principal', 'alice', 'note', 'x', 't', 'a', 1)").run();
    expect(() => db.prepare('DELETE FROM annotations').run()).toThrow(/kept/);
    expect(() => db.prepare("UPDATE annotations SET text = 'y'").run()).toThrow(/only be marked removed/);
    db.prepare("UPDATE annotations SET removed_at = 't2', removed_by = 'b', removed_seq = 2").run();
    expect(() => db.prepare("UPDATE annotations SET removed_at = 't3', removed_by = 'b', removed_seq = 3").run()).toThrow(/once/);
    expect(() => db.prepare("INSERT INTO annotations (target_kind, target, kind, text, created_at, created_by, custody_seq) VALUES ('host', 'x', 'note', 'x', 't', 'a', 1)").run()).toThrow(/CHECK/);
    db.close();
  });
});

describe('notes through the API', () => {
  it('stars, tags and notes events and entities; each change is in the custody log, whose chain stays intact', async () => {
    const ev = flagged[0]!;
    const before = (await ok<CustodyLog>('custody.log', {})).entries.length;
    const note = await ok<NoteView>('notes.add', { target: { kind: 'event', value: ev.eventID }, kind: 'note', text: 'first look: token used from outside\nsecond line' });
    expect(note).toMatchObject({ target: { kind: 'event', value: ev.eventID }, kind: 'note', text: 'first look: token used from outside\nsecond line' });
    const star = await ok<NoteView>('notes.add', { target: { kind: 'event', value: ev.eventID }, kind: 'star', text: '' });
    const again = await ok<NoteView>('notes.add', { target: { kind: 'event', value: ev.eventID }, kind: 'star', text: '' });
    expect(again.id).toBe(star.id); // starring twice is one star, one custody entry
    const tag = await ok<NoteView>('notes.add', { target: { kind: 'session', value: ev.accessKeyId! }, kind: 'tag', text: 'incident-7' });
    const withPod = (await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 1000 })).rows.find((r) => r.pod)!;
    const pod = await ok<NoteView>('notes.add', { target: { kind: 'pod', value: withPod.pod! }, kind: 'note', text: 'pod of interest' });
    const person = await ok<NoteView>('notes.add', { target: { kind: 'principal', value: 'alice@example.com' }, kind: 'tag', text: 'suspect' });

    const log = await ok<CustodyLog>('custody.log', {});
    expect(log.check.ok).toBe(true);
    const added = log.entries.slice(before);
    expect(added.map((e) => [e.action, e.details.op, e.details.id])).toEqual([note, star, tag, pod, person].map((n) => ['annotate', 'add', n.id]));
    expect(added[0]!.details).toMatchObject({ target: { kind: 'event', value: ev.eventID }, kind: 'note', text: note.text });
    expect(added.map((e) => e.seq)).toEqual([note, star, tag, pod, person].map((n) => n.custodySeq));

    const mine = await ok<NoteView[]>('notes.list', { targets: [{ kind: 'event', value: ev.eventID }] });
    expect(mine.map((n) => n.id)).toEqual([note.id, star.id]);
    expect((await ok<NoteView[]>('notes.list', {})).map((n) => n.id)).toEqual([note.id, star.id, tag.id, pod.id, person.id]);

    expect(await ok<{ removed: boolean }>('notes.remove', { id: person.id })).toEqual({ removed: true });
    expect(await ok<{ removed: boolean }>('notes.remove', { id: person.id })).toEqual({ removed: false });
    expect((await ok<NoteView[]>('notes.list', {})).map((n) => n.id)).not.toContain(person.id);
    const after = await ok<CustodyLog>('custody.log', {});
    expect(after.entries.at(-1)).toMatchObject({ action: 'annotate', details: { op: 'remove', id: person.id, kind: 'tag', text: 'suspect' } });
    expect(after.check.ok).toBe(true);
    // Kept in the case, marked removed, with who and which custody entry.
    const db = new Database(casePath, { readonly: true });
    const row = db.prepare('SELECT removed_at, removed_by, removed_seq FROM annotations WHERE id = ?').get(person.id) as { removed_at: string; removed_by: string; removed_seq: number };
    db.close();
    expect(row.removed_seq).toBe(after.entries.at(-1)!.seq);
  });

  it('refuses unknown targets, bad tags and empty notes, and logs nothing for them', async () => {
    const before = (await ok<CustodyLog>('custody.log', {})).entries.length;
    expect(await fails('notes.add', { target: { kind: 'event', value: 'no-such-event' }, kind: 'note', text: 'x' })).toMatchObject({ code: 'not-found' });
    expect(await fails('notes.add', { target: { kind: 'session', value: 'ASIAZZZZZZZZZZZZZZZZ' }, kind: 'star', text: '' })).toMatchObject({ code: 'not-found' });
    expect(await fails('notes.add', { target: { kind: 'pod', value: 'no-such-pod-xyz' }, kind: 'star', text: '' })).toMatchObject({ code: 'not-found' });
    expect(await fails('notes.add', { target: { kind: 'event', value: flagged[0]!.eventID }, kind: 'tag', text: 'two words' })).toMatchObject({ code: 'bad-input' });
    expect(await fails('notes.add', { target: { kind: 'event', value: flagged[0]!.eventID }, kind: 'note', text: '   ' })).toMatchObject({ code: 'bad-input' });
    expect(await fails('notes.add', { target: { kind: 'host', value: 'x' }, kind: 'note', text: 'x' })).toMatchObject({ code: 'bad-input' });
    expect((await ok<CustodyLog>('custody.log', {})).entries.length).toBe(before);
  });

  it('a failed custody append leaves no annotation behind (one transaction)', () => {
    const db = openCase(casePath);
    try {
      const store = new NoteStore(db, () => {
        throw new Error('no actor');
      });
      const n = db.prepare('SELECT COUNT(*) FROM annotations').pluck().get() as number;
      expect(() => store.add({ kind: 'event', value: flagged[1]!.eventID }, 'note', 'x')).toThrow(/no actor/);
      expect(db.prepare('SELECT COUNT(*) FROM annotations').pluck().get()).toBe(n);
      expect(checkCustody(db).ok).toBe(true);
    } finally {
      db.close();
    }
  });
});

describe('the case report', () => {
  it('covers several events and a whole session: summary, detections with reasons, notes, examiner and case id', async () => {
    const [a, b] = [flagged[0]!, flagged.find((r) => r.accessKeyId && r.accessKeyId !== flagged[0]!.accessKeyId) ?? flagged[1]!];
    const key = a.accessKeyId!;
    const session = await ok<EventPage>('events.query', { filters: { accessKeyId: key }, sort: byTime, offset: 0, limit: 1000 });
    const input = { events: [a.eventID, b.eventID], keys: [key], format: 'json', examiner: 'Examiner Name', caseId: 'IR-2026-0042' };
    const json = await ok<ReportFile>('report.case', input);
    const m = JSON.parse(json.body) as CaseReportModel;
    expect(m.case).toMatchObject({ caseId: 'IR-2026-0042', caseIdGiven: true, examiner: 'Examiner Name', examinerGiven: true });
    expect(m.details.map((d) => d.report.event.eventID)).toEqual([a.eventID, b.eventID]);
    for (const d of m.details) expect(d.report.flags.length).toBeGreaterThan(0);
    expect(m.sessions).toHaveLength(1);
    expect(m.sessions[0]!.events).toBe(session.total);
    // Every event of the session, and both events asked for, once each, in time order.
    const ids = new Set(m.rows.map((r) => r.eventID));
    for (const r of session.rows) expect(ids.has(r.eventID)).toBe(true);
    expect(ids.has(b.eventID)).toBe(true);
    expect(m.rows.map((r) => r.eventTime)).toEqual([...m.rows.map((r) => r.eventTime)].sort());
    expect(m.summary.flagged).toBe(m.rows.filter((r) => r.flags.length).length);
    // Detections over the session, counted against the table's own rows.
    for (const d of m.sessions[0]!.detections) expect(d.events).toBe(session.rows.filter((r) => r.flags.includes(d.flag)).length);
    // The addresses the key was used from, with their counts, as the table has them.
    const ips = new Map<string | null, number>();
    for (const r of session.rows) ips.set(r.sourceIp, (ips.get(r.sourceIp) ?? 0) + 1);
    if (ips.size <= 20) expect(new Map(m.sessions[0]!.sourceIps.map((x) => [x.ip, x.events]))).toEqual(ips);
    // The notes made above: on the event (note, star) and on its session (tag).
    expect(m.notes.map((n) => n.kind).sort()).toEqual(expect.arrayContaining(['note', 'star', 'tag']));
    expect(m.rows.find((r) => r.eventID === a.eventID)).toMatchObject({ starred: true, notes: 1, detailed: true });
    expect(m.details[0]!.notes.map((n) => n.kind).sort()).toEqual(['note', 'star', 'tag']);
    expect(m.files.length).toBeGreaterThan(0);

    const html = await ok<ReportFile>('report.case', { ...input, format: 'html' });
    expect(html.filename).toBe('podtrail-case-report-IR-2026-0042.html');
    expect(html.body).toContain('<strong>IR-2026-0042</strong>');
    expect(html.body).toContain('<strong>Examiner Name</strong>');
    expect(html.body).toContain('first look: token used from outside\nsecond line');
    for (const d of m.details) for (const f of d.report.flags) expect(html.body).toContain(`${f.flag}</strong> (`);
    // The chain at a readable size: drawn 1:1 at 13 px, nothing cut.
    expect(html.body).toMatch(/<svg [^>]*class="chain" width="640"[^>]*font-size="13"/);
    expect(html.body).not.toContain('…</text>');
    // Same case, same options: the same bytes (exports do not move the pinned custody entry).
    expect((await ok<ReportFile>('report.case', { ...input, format: 'html' })).body).toBe(html.body);
    const log = await ok<CustodyLog>('custody.log', {});
    expect(log.entries.at(-1)).toMatchObject({ action: 'export', details: { scope: 'case report', events: [a.eventID, b.eventID], keys: [key], caseId: 'IR-2026-0042', format: 'html' } });
    expect(log.check.ok).toBe(true);
  });

  it('without an examiner or case id: who made the pinned custody entry, and the case file name', async () => {
    const m = JSON.parse((await ok<ReportFile>('report.case', { events: [flagged[0]!.eventID], keys: [], format: 'json' })).body) as CaseReportModel;
    const log = await ok<CustodyLog>('custody.log', {});
    expect(m.case).toMatchObject({ caseId: 'case', caseIdGiven: false, examinerGiven: false });
    expect(m.case.examiner).toBe(log.entries.find((e) => e.seq === m.custody!.pinned!.seq)!.actor);
  });

  it('refuses an unknown event or key, and an empty scope', async () => {
    expect(await fails('report.case', { events: ['no-such-event'], keys: [], format: 'html' })).toMatchObject({ code: 'not-found' });
    expect(await fails('report.case', { events: [], keys: ['ASIAZZZZZZZZZZZZZZZZ'], format: 'html' })).toMatchObject({ code: 'not-found' });
    expect(await fails('report.case', { events: [], keys: [], format: 'html' })).toMatchObject({ code: 'not-found' });
  });
});
