/**
 * `actor.timeline` (issue 15, the reverse pivot in the app: the Person tab) on a generated bundle with kubectl users,
 * CI deploys and a planted exec attack (generator option `k8sActors`): the API answers exactly what `podtrail actor`
 * computes (`actorTimeline`) — on the engine's connection and on the reader worker's read-only one, whose temporary
 * tables live in its own temp schema — with the person's Kubernetes requests beside their AWS events, in time order,
 * bounded by a limit that says when it cut. Needs the compiled workers (`npm run build`) for the reader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import type { CaseService } from '../../../electron/engine/service/case-service';
import { EngineHost } from '../../../electron/engine/service/host';
import { openCase } from '../../../electron/engine/db/open';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { actorTimeline } from '../../../electron/engine/k8s/actor-pivot';
import type { ActorTimelineView, ApiResult } from '../../../shared/api';
import type { AttributionRecord } from '../../../shared/attribution';
import { ingestedService } from '../../helpers/service';

let service: CaseService;
let ok: <T>(name: string, input: unknown) => Promise<T>;
let casePath: string;
/** Read-only, as the reader worker opens the case. */
let db: Database;
let records: AttributionRecord[];
/** A call made from inside a pod during its person's exec session, whose exec is listed on the pod (as the People section shows it). */
let ev: AttributionRecord;
let person: string;

beforeAll(async () => {
  const h = await ingestedService('actor', { events: 3000, seed: 7101, k8s: true, k8sActors: true, hours: 6 });
  ({ service, ok, casePath } = h);
  db = openCase(casePath, { readonly: true, mustExist: true });
  records = [...new CaseQueries(db).attributions()];
  ev = records.find((a) => a.actor && (a.podActors ?? []).some((p) => p.action === 'exec' && p.auditID === a.actor!.auditID))!;
  person = ev?.actor?.principal ?? '';
}, 240_000);

afterAll(() => {
  db?.close();
  service?.close();
});

const value = <T>(r: ApiResult<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
};

describe('actor.timeline', () => {
  it("answers exactly podtrail actor's timeline: the kubectl user's AWS events and Kubernetes requests, in time order", async () => {
    expect(ev, 'a call attributed to a person exec’d into its pod').toBeDefined();
    const t = await ok<ActorTimelineView>('actor.timeline', { target: person });
    // actorTimeline on a read-only connection: its temporary tables are allowed there, and none is left behind.
    const direct = actorTimeline(db, person);
    expect(db.prepare('SELECT name FROM temp.sqlite_master').pluck().all()).toEqual([]);
    expect(t).toEqual({ ...direct, truncated: false });
    expect(t.principals).toContain(person);

    const k8s = t.entries.filter((e) => e.kind === 'kubernetes');
    const aws = t.entries.filter((e) => e.kind === 'aws');
    expect(k8s.length).toBeGreaterThan(0);
    expect(aws.length).toBeGreaterThan(0);
    // Their exec into the pod (an action on the pod), and their other requests (list pods…), from the EKS audit log.
    expect(k8s.some((e) => e.id === ev.actor!.auditID && e.what.startsWith('exec'))).toBe(true);
    expect(k8s.some((e) => e.what.startsWith('list pods'))).toBe(true);
    const actions = new Set(db.prepare('SELECT audit_id FROM pod_actions').pluck().all() as string[]);
    expect(k8s.some((e) => !actions.has(e.id)), 'a Kubernetes request that is no action on a pod').toBe(true);
    // The call their exec session made with the pod's credentials, tied to them by that session.
    const call = aws.find((e) => e.id === ev.eventID)!;
    expect(call, ev.eventID).toBeDefined();
    expect(call.via).toContain(ev.actor!.auditID);
    // Every AWS entry is an event whose attribution names the person (its root principal or its actor).
    const theirs = new Set(records.filter((r) => r.principal === person || r.actor?.principal === person).map((r) => r.eventID));
    expect(new Set(aws.map((e) => e.id))).toEqual(theirs);
    for (let i = 1; i < t.entries.length; i++) expect(t.entries[i]!.ms).toBeGreaterThanOrEqual(t.entries[i - 1]!.ms);
  });

  it('answers the same from the reader worker’s read-only connection', async () => {
    const host = EngineHost.start(casePath);
    try {
      const viaHost = value<ActorTimelineView>(await host.call('actor.timeline', { target: person, limit: 50 }));
      expect(viaHost).toEqual(await ok('actor.timeline', { target: person, limit: 50 }));
      // It was the reader that answered (not the engine, which it falls back to when the reader cannot run).
      const reader = (host as unknown as { reader: unknown }).reader;
      expect(reader).not.toBeNull();
      expect(reader).not.toBe('off');
      // Again on the same connection: the temporary tables of the last call are dropped, not in the way.
      expect(value(await host.call('actor.timeline', { target: person, limit: 50 }))).toEqual(viaHost);
      expect(await host.call('actor.timeline', { target: '' })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    } finally {
      await host.close();
    }
  });

  it('is bounded: the first `limit` entries, and says when it cut', async () => {
    const full = actorTimeline(db, person);
    expect(full.entries.length).toBeGreaterThan(5);
    const cut = await ok<ActorTimelineView>('actor.timeline', { target: person, limit: 5 });
    expect(cut).toEqual({ ...full, entries: full.entries.slice(0, 5), truncated: true });
    const all = await ok<ActorTimelineView>('actor.timeline', { target: person, limit: full.entries.length });
    expect(all).toEqual({ ...full, truncated: false });
    // Nobody: no principal, no entry.
    expect(await ok('actor.timeline', { target: 'nobody@nowhere.invalid' })).toEqual({ target: 'nobody@nowhere.invalid', principals: [], entries: [], truncated: false });
    for (const bad of [{ target: '' }, { target: person, limit: 0 }, { target: person, limit: 10_001 }, {}]) {
      expect(await service.dispatch('actor.timeline', bad)).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    }
  });

  it('takes one of their access keys too, as podtrail actor does', async () => {
    const key = actorTimeline(db, person).entries.find((e) => e.kind === 'kubernetes' && e.accessKeyId)?.accessKeyId;
    expect(key, 'a key their Kubernetes requests carried').toBeTruthy();
    const t = await ok<ActorTimelineView>('actor.timeline', { target: key });
    expect(t).toEqual({ ...actorTimeline(db, key!), truncated: false });
    expect(t.principals).toContain(person);
  });
});
