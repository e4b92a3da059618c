/**
 * `trace.people` (electron/engine/case/people.ts) on a generated bundle with kubectl users and CI deploys (generator
 * option `k8sActors`): the people behind an event's pod as the graph draws them, each action with the audit event
 * that shows it, and each person's own credential chain — the key in `user.extra.accessKeyId` traced to the same root
 * the attribution names, every hop citing records with their files, record indexes and SHA-256.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { CaseService } from '../../../electron/engine/service/case-service';
import type { EvidenceRecordView, PeopleView } from '../../../shared/api';
import type { AttributionRecord } from '../../../shared/attribution';
import { selectPeople } from '../../../shared/people';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { ingestedService } from '../../helpers/service';

let service: CaseService;
let ok: <T>(name: string, input: unknown) => Promise<T>;
let db: Database.Database;
let records: AttributionRecord[];

beforeAll(async () => {
  const h = await ingestedService('people', { events: 3000, seed: 7101, k8s: true, k8sActors: true, hours: 6 });
  ({ service, ok } = h);
  db = new Database(h.casePath, { readonly: true });
  records = [...new CaseQueries(db).attributions()];
}, 240_000);

afterAll(() => {
  db?.close();
  service?.close();
});

const raw = (r: EvidenceRecordView) => JSON.parse(r.raw) as Record<string, unknown> & { user?: { username?: string; extra?: Record<string, string[]> }; userIdentity?: { accessKeyId?: string } };
/** A record as the evidence pane shows it: where it was read from, and its text. */
function cited(r: EvidenceRecordView): void {
  expect(r.provenance.length, r.id).toBeGreaterThan(0);
  for (const p of r.provenance) {
    expect(p.path).toBeTruthy();
    expect(p.recordIndex).toBeGreaterThanOrEqual(0);
    expect(p.fileSha256).toMatch(/^[0-9a-f]{64}$/);
  }
  expect(r.raw).toContain(r.id);
}

describe('trace.people', () => {
  it("answers the people of every event's pod as the graph picks them, with their actions' audit events and their keys traced to the root the attribution names", async () => {
    const withPeople = records.filter((r) => (r.podActors?.length ?? 0) > 0);
    expect(withPeople.length).toBeGreaterThan(50);
    const chainKeys = db.prepare('SELECT chain_keys FROM pod_actions WHERE audit_id = ? AND action = ?').pluck();
    // One event per distinct set of actions (events of a subject share them).
    const seen = new Set<string>();
    let credentials = 0;
    for (const r of withPeople) {
      const k = JSON.stringify([r.podActors!.map((a) => a.auditID), r.actor?.auditID]);
      if (seen.has(k)) continue;
      seen.add(k);
      const v = (await ok<PeopleView>('trace.people', { target: r.eventID }))!;
      const pick = selectPeople(r.podActors, r.actor);
      expect(v.people.map((p) => [p.who, p.actor, p.moreActions])).toEqual(pick.people.map((p) => [p.who, p.actor, p.moreActions]));
      expect(v.more).toBe(pick.more);
      for (const [i, p] of v.people.entries()) {
        expect(p.actions.map((a) => a.action)).toEqual(pick.people[i]!.actions);
        for (const a of p.actions) {
          // what and who: the action's audit event, read from its file, naming the Kubernetes user.
          for (const h of [a.what, a.who]) {
            expect(h.evidence).toEqual([a.action.auditID]);
            expect(h.records.map((x) => `${x.kind}:${x.id}`)).toEqual([`audit:${a.action.auditID}`]);
            cited(h.records[0]!);
          }
          expect(raw(a.who.records[0]!).user?.username).toBe(a.action.kubernetesUser);
          expect(a.what.confidence).toBe(a.action.confidence === 'ambiguous' ? 'ambiguous' : ['deploy', 'token'].includes(a.action.action) ? 'inferred' : 'proven');
        }
        expect(p.credentials.map((c) => c.accessKeyId)).toEqual([...new Set(p.actions.flatMap((a) => (a.action.accessKeyId ? [a.action.accessKeyId] : [])))]);
        for (const c of p.credentials) {
          credentials++;
          // The audit events that name the key.
          for (const x of c.named.records) expect(raw(x).user?.extra?.accessKeyId?.[0]).toBe(c.accessKeyId);
          expect(c.named.records.map((x) => x.id)).toEqual(p.actions.filter((a) => a.action.accessKeyId === c.accessKeyId).map((a) => a.action.auditID));
          // The same chain and root as the attribution gave the person (pod_actions, built by correlation).
          const acts = p.actions.filter((a) => a.action.accessKeyId === c.accessKeyId);
          expect(c.resolution, c.accessKeyId).not.toBeNull();
          expect(c.resolution!.chain.map((l) => l.accessKeyId)).toEqual(JSON.parse(chainKeys.get(acts[0]!.action.auditID, acts[0]!.action.action) as string));
          if (acts[0]!.action.confidence === 'proven') expect(c.resolution!.principal).toBe(p.who);
          // Every hop cites records: none is left to "the event's own record".
          expect(c.hops.length).toBeGreaterThan(0);
          for (const h of c.hops) {
            expect(h.records.length, `${c.accessKeyId} ${h.rule}`).toBeGreaterThan(0);
            h.records.forEach(cited);
          }
        }
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(15);
    expect(credentials).toBeGreaterThanOrEqual(15);
  }, 120_000);

  it('follows a CI deploy to the IAM user behind the chained deploy role, each AssumeRole cited, the root read from the call its long-term key made', async () => {
    const r = records.find((x) => x.podActors?.some((a) => a.action === 'deploy' && a.principal?.includes('github-actions-deployer')))!;
    expect(r, 'an event whose pod a CI run deployed').toBeDefined();
    const v = (await ok<PeopleView>('trace.people', { target: r.eventID }))!;
    const p = v.people.find((x) => x.who.includes('github-actions-deployer'))!;
    const c = p.credentials[0]!;
    expect(c.resolution!.mechanism).toBe('iam-user');
    const chain = c.resolution!.chain;
    expect(chain.map((l) => l.issuedBy?.eventName ?? null)).toEqual(['AssumeRole', 'AssumeRole', null]);
    expect(chain[0]!.issuedBy!.roleArn).toMatch(/:role\/eks-deployer$/);
    expect(chain[1]!.issuedBy!.roleArn).toMatch(/:role\/ci-deploy$/);
    expect(chain[2]!.accessKeyId).toMatch(/^AKIA/);
    const issued = c.hops.filter((h) => h.rule === 'key-issuance').flatMap((h) => h.records.map((x) => x.id));
    expect(issued).toEqual(expect.arrayContaining([chain[0]!.issuedBy!.eventID, chain[1]!.issuedBy!.eventID]));
    expect(c.hops.some((h) => h.rule === 'role-chain')).toBe(true);
    const root = c.hops.find((h) => h.rule === 'principal')!;
    expect(root.records.map((x) => x.id)).toEqual([chain[1]!.issuedBy!.eventID]);
    expect(raw(root.records[0]!).userIdentity?.accessKeyId).toBe(chain[2]!.accessKeyId);
  });

  it("follows an exec to the Identity Center user, the root read from a CloudTrail call made with the session's key", async () => {
    const r = records.find((x) => x.actor && x.podActors?.some((a) => a.action === 'exec' && a.auditID === x.actor!.auditID))!;
    expect(r, 'an event whose actor exec-ed into its pod').toBeDefined();
    const v = (await ok<PeopleView>('trace.people', { target: r.eventID }))!;
    const p = v.people[0]!;
    expect(p.actor).toBe(true);
    expect(p.actions.some((a) => a.action.auditID === r.actor!.auditID)).toBe(true);
    const c = p.credentials[0]!;
    expect(c.resolution!.mechanism).toBe('sso');
    expect(c.resolution!.principal).toBe(p.who);
    const root = c.hops.find((h) => h.rule === 'principal')!;
    expect(raw(root.records[0]!).userIdentity?.accessKeyId).toBe(c.accessKeyId);
  });

  it('caps people and actions as asked, answers an event without people with none, and an unknown event with null', async () => {
    const r = records.filter((x) => (x.podActors?.length ?? 0) > 1).sort((a, b) => b.podActors!.length - a.podActors!.length)[0]!;
    const one = (await ok<PeopleView>('trace.people', { target: r.eventID, people: 1, actions: 1 }))!;
    const pick = selectPeople(r.podActors, r.actor, { people: 1, actions: 1 });
    expect(one.people).toHaveLength(1);
    expect(one.people[0]!.actions).toHaveLength(1);
    expect([one.more, one.people[0]!.moreActions]).toEqual([pick.more, pick.people[0]!.moreActions]);
    expect(one.more + one.people[0]!.moreActions).toBeGreaterThan(0);
    const none = records.find((x) => !x.podActors?.length)!;
    expect(await ok<PeopleView>('trace.people', { target: none.eventID })).toEqual({ people: [], more: 0 });
    expect(await ok<PeopleView | null>('trace.people', { target: 'no-such-event' })).toBeNull();
    expect(await service.dispatch('trace.people', { target: r.eventID, people: 0 })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });
});
