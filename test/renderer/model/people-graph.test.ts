/**
 * The chain graph past the pod (issue 15): pod → each action (exec, deploy, … with its time) → the person → the
 * access key their requests carried → its chain to the root, every step citing its records (`trace.people`), one
 * confidence word per step; capped ("+N more") when a pod has many actors.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { graphElements, type GraphEdgeData, type GraphElement, type GraphNodeData } from '../../../renderer/src/model/graph';
import { isWrapEdge } from '../../../renderer/src/model/layout';
import { Selected, Steps } from '../../../renderer/src/ui/GraphEvidence';
import type { HopView, PeopleView, PersonActionView, TraceView } from '../../../shared/api';
import type { EventActor, PodActorAction } from '../../../shared/attribution';
import { auditRecord, irsaAmbiguousPods, irsaInferredPod, record } from '../fixtures';
import { crossed, drawn } from '../routes';

const SSO = 'dave@example.com via IAM Identity Center (AWSReservedSSO_Audit_x)';
const CI = 'arn:aws:iam::444455556666:user/ci/deployer';
const exec: PodActorAction = {
  action: 'exec', time: '2026-03-02T02:41:10.693Z', kubernetesUser: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Audit_x/dave-example.com',
  principal: SSO, accessKeyId: 'ASIAEXAMPLEKEY000001', auditID: 'audit-exec-1', confidence: 'proven', target: 'pod analytics/report-builder-7f-x2',
  why: 'user.extra.accessKeyId ASIAEXAMPLEKEY000001 is not issued in the bundle; … the chain stops there',
};
const log: PodActorAction = { ...exec, action: 'log', time: '2026-03-02T02:45:00.000Z', auditID: 'audit-log-1' };
const deploy: PodActorAction = {
  ...exec, action: 'deploy', time: '2026-03-02T01:00:00.000Z', kubernetesUser: 'arn:aws:sts::111122223333:assumed-role/eks-deployer/gha-1', principal: CI,
  accessKeyId: 'ASIADEPLOY0000000001', auditID: 'audit-deploy-1', target: 'deployment analytics/report-builder → replicaset report-builder-7f', why: 'issued by AssumeRole ar-2, through 2 more hop(s) of role chaining',
};
const actor: EventActor = { principal: SSO, auditID: 'audit-exec-1', confidence: 'inferred', why: "had an exec session (audit audit-exec-1) open; its user agent is aws-cli's" };

function withPeople(t: TraceView, podActors: PodActorAction[], a: EventActor | null): TraceView {
  return { ...t, attribution: { ...t.attribution!, podActors, actor: a } };
}

const hop = (rule: string, evidence: string[], records = evidence.map((id) => record(id, rule, { id })), confidence: HopView['confidence'] = 'proven'): HopView => ({
  rule, confidence, claim: `${rule} claim`, evidence, fields: ['userIdentity.arn'], records,
});
function actionView(a: PodActorAction, what: string): PersonActionView {
  const r = auditRecord(a.auditID, what);
  return {
    action: a,
    what: { ...hop('pod-action', [a.auditID], [r], a.action === 'deploy' ? 'inferred' : 'proven'), fields: ['verb', 'objectRef.name'] },
    who: { ...hop('audit-user', [a.auditID], [r]), fields: ['user.username', 'user.extra.accessKeyId'] },
  };
}

/** What `trace.people` answers for the three actions: the SSO user's key (issued outside the bundle), the CI user's chain. */
function peopleView(): PeopleView {
  const ssoKey = exec.accessKeyId!;
  return {
    more: 0,
    people: [
      {
        who: SSO, actor: true, moreActions: 0,
        actions: [actionView(exec, 'get pods/exec analytics/report-builder-7f-x2'), actionView(log, 'get pods/log analytics/report-builder-7f-x2')],
        credentials: [
          {
            accessKeyId: ssoKey,
            named: { ...hop('audit-key', ['audit-exec-1', 'audit-log-1'], [auditRecord('audit-exec-1', 'get pods/exec'), auditRecord('audit-log-1', 'get pods/log')]), fields: ['user.extra.accessKeyId'] },
            resolution: { ...irsaInferredPod().resolution, mechanism: 'sso', chain: [{ accessKeyId: ssoKey, issuedBy: null }], principal: SSO, cluster: null, namespace: null, serviceAccount: null, pod: null, node: null, confidence: { identity: 'proven', pod: 'none', node: 'none' } },
            hops: [hop('principal', ['ct-1'])],
          },
        ],
      },
      {
        who: CI, actor: false, moreActions: 0,
        actions: [actionView(deploy, 'patch deployments analytics/report-builder')],
        credentials: [
          {
            accessKeyId: deploy.accessKeyId!,
            named: { ...hop('audit-key', ['audit-deploy-1'], [auditRecord('audit-deploy-1', 'patch deployments')]), fields: ['user.extra.accessKeyId'] },
            resolution: {
              ...irsaInferredPod().resolution, mechanism: 'iam-user', principal: CI, cluster: null, namespace: null, serviceAccount: null, pod: null, node: null,
              chain: [
                { accessKeyId: deploy.accessKeyId!, issuedBy: { eventID: 'ar-2', eventName: 'AssumeRole', roleArn: 'arn:aws:iam::111122223333:role/eks-deployer' } },
                { accessKeyId: 'ASIACIDEPLOY00000001', issuedBy: { eventID: 'ar-1', eventName: 'AssumeRole', roleArn: 'arn:aws:iam::111122223333:role/ci-deploy' } },
                { accessKeyId: 'AKIACIUSER0000000001', issuedBy: null },
              ],
              confidence: { identity: 'proven', pod: 'none', node: 'none' },
            },
            hops: [hop('key-issuance', ['ar-2']), hop('role-chain', ['ar-2']), hop('key-issuance', ['ar-1']), hop('principal', ['ar-1'])],
          },
        ],
      },
    ],
  };
}

const nodes = (els: GraphElement[]) => els.filter((e) => e.group === 'nodes').map((e) => e.data as GraphNodeData);
const edges = (els: GraphElement[]) => els.filter((e) => e.group === 'edges').map((e) => e.data as GraphEdgeData);
const edge = (els: GraphElement[], id: string) => {
  const e = edges(els).find((x) => x.id === id);
  if (!e) throw new Error(`no edge ${id}: ${edges(els).map((x) => x.id).join(', ')}`);
  return e;
};
const evidenceIds = (html: string) => [...html.matchAll(/<div [^>]*data-testid="step-evidence"[^>]*>/g)].map((m) => `${/data-kind="([^"]*)"/.exec(m[0])![1]}:${/data-record-id="([^"]*)"/.exec(m[0])![1]}`);
function selected(t: TraceView, els: GraphElement[], id: string): string {
  const el = els.find((x) => x.data.id === id)!;
  return renderToStaticMarkup(createElement(Selected, { trace: t, el, expansions: new Map(), onClear: () => {}, onJump: () => {}, onExpand: () => {} }));
}

describe('the chain graph past the pod', () => {
  const t = withPeople(irsaInferredPod(), [deploy, exec, log], actor);

  it('draws pod → each action → the person → their key → its chain → the root', () => {
    const els = graphElements(t, peopleView());
    const byId = new Map(nodes(els).map((n) => [n.id, n]));
    expect(byId.get(`person:${SSO}`)!.label).toBe('ACTOR\ndave@example.com');
    expect(byId.get(`person:${SSO}`)!.title).toContain('most plausibly made this call');
    expect(byId.get(`person:${CI}`)!.label).toBe('PERSON\nuser/ci/deployer');
    expect(byId.get('action:audit-exec-1:exec')!.label).toBe('EXEC\n2026-03-02 02:41:10');
    expect(byId.get('action:audit-deploy-1:deploy')!.label).toBe('DEPLOY\n2026-03-02 01:00:00');
    const path = (...ids: string[]) => ids.slice(1).map((id, i) => edge(els, `${ids[i]}->${id}`));
    // The SSO user: the key their kubectl requests carried, issued outside the bundle; its CloudTrail calls name them.
    path('pod', 'action:audit-exec-1:exec', `person:${SSO}`, `pkey:${SSO}:0:ASIAEXAMPLEKEY000001`, `proot:${SSO}:${SSO}`);
    path('pod', 'action:audit-log-1:log', `person:${SSO}`);
    expect(byId.get(`proot:${SSO}:${SSO}`)!.label).toBe('SSO USER\ndave@example.com');
    // The CI user behind the deploy role, through role chaining.
    path('pod', 'action:audit-deploy-1:deploy', `person:${CI}`, `pkey:${CI}:0:ASIADEPLOY0000000001`, `pkey:${CI}:1:ASIACIDEPLOY00000001`, `pkey:${CI}:2:AKIACIUSER0000000001`, `proot:${CI}:${CI}`);
    expect(byId.get(`proot:${CI}:${CI}`)!.label).toBe('IAM USER\nuser/ci/deployer');
    expect(byId.get(`pkey:${CI}:0:ASIADEPLOY0000000001`)!.label).toContain('→ eks-deployer');
    // One confidence word per step, from the hop that decides it.
    expect(edge(els, `pod->action:audit-deploy-1:deploy`)).toMatchObject({ confidence: 'inferred', label: 'audit log\ninferred' });
    expect(edge(els, `action:audit-exec-1:exec->person:${SSO}`)).toMatchObject({ confidence: 'proven', label: 'audit user\nproven' });
    expect(edge(els, `person:${CI}->pkey:${CI}:0:ASIADEPLOY0000000001`)).toMatchObject({ confidence: 'proven', label: 'key issued\nproven' });
    expect(edge(els, `person:${SSO}->pkey:${SSO}:0:ASIAEXAMPLEKEY000001`)).toMatchObject({ confidence: 'proven', label: 'signed with\nproven' });
    expect(edge(els, `pkey:${CI}:0:ASIADEPLOY0000000001->pkey:${CI}:1:ASIACIDEPLOY00000001`).label).toBe('role chain\nproven');
  });

  it("lists each step's records in the evidence pane: the audit event of an action, the key a person's request carried and where it was issued", () => {
    const els = graphElements(t, peopleView());
    expect(evidenceIds(selected(t, els, `pod->action:audit-exec-1:exec`))).toEqual(['audit:audit-exec-1']);
    expect(evidenceIds(selected(t, els, `action:audit-exec-1:exec->person:${SSO}`))).toEqual(['audit:audit-exec-1']);
    expect(evidenceIds(selected(t, els, `person:${SSO}->pkey:${SSO}:0:ASIAEXAMPLEKEY000001`))).toEqual(['audit:audit-exec-1', 'audit:audit-log-1']);
    expect(evidenceIds(selected(t, els, `pkey:${SSO}:0:ASIAEXAMPLEKEY000001->proot:${SSO}:${SSO}`))).toEqual(['event:ct-1']);
    // The CI user's key: the audit event that names it, then the AssumeRole that issued it (the step reads "key issued").
    const first = selected(t, els, `person:${CI}->pkey:${CI}:0:ASIADEPLOY0000000001`);
    expect(evidenceIds(first)).toEqual(['event:ar-2', 'audit:audit-deploy-1']);
    expect(first.match(/class="conf[ "]/g)).toHaveLength(1);
    expect(evidenceIds(selected(t, els, `pkey:${CI}:0:ASIADEPLOY0000000001->pkey:${CI}:1:ASIACIDEPLOY00000001`))).toEqual(['event:ar-2', 'event:ar-1']);
    expect(evidenceIds(selected(t, els, `pkey:${CI}:2:AKIACIUSER0000000001->proot:${CI}:${CI}`))).toEqual(['event:ar-1']);
    // The key's node shows the call that issued it.
    expect(selected(t, els, `pkey:${CI}:1:ASIACIDEPLOY00000001`)).toContain('data-testid="node-evidence"');
    // And the Steps list has every step past the pod, each with its confidence.
    const steps = renderToStaticMarkup(createElement(Steps, { elements: els, selected: null }));
    expect(steps).toContain(`data-edge="person:${CI}-&gt;pkey:${CI}:0:ASIADEPLOY0000000001"`);
    expect(steps).toContain('dave@example.com → ASIAEXAMPLEKEY000001');
    expect(steps).toContain('report-builder-7f-x2 → exec 2026-03-02 02:41:10');
  });

  it('draws the actions and people from the attribution alone until trace.people answers (their steps then cite nothing)', () => {
    const els = graphElements(t);
    expect(nodes(els).filter((n) => n.kind === 'action').map((n) => n.id)).toEqual(['action:audit-exec-1:exec', 'action:audit-log-1:log', 'action:audit-deploy-1:deploy']);
    expect(nodes(els).some((n) => n.id.startsWith('pkey:') || n.id.startsWith('proot:'))).toBe(false);
    expect(selected(t, els, `pod->action:audit-exec-1:exec`)).toContain('No record establishes this step');
    expect(graphElements(irsaInferredPod()).some((e) => e.group === 'nodes' && (e.data.kind === 'person' || e.data.kind === 'action'))).toBe(false);
  });

  it('hangs an action on the candidate pod it names, and a token minted for the service account on the service account', () => {
    const on = (pod: string): PodActorAction => ({ ...exec, auditID: `audit-${pod}`, target: `pod checkout/${pod}` });
    const token: PodActorAction = { ...exec, action: 'token', auditID: 'audit-token', target: 'serviceaccount checkout/api', confidence: 'ambiguous' };
    const els = graphElements(withPeople(irsaAmbiguousPods(), [on('api-b'), token], null));
    expect(edges(els).filter((e) => e.kind === 'actor' && e.target.startsWith('action:')).map((e) => e.id)).toEqual(['pod:api-b->action:audit-api-b:exec', 'sa->action:audit-token:token']);
  });

  it('keeps the graph readable when a pod has many actors: three people, two actions each, the rest counted', () => {
    const people = ['a', 'b', 'c', 'd', 'e'].map((p, i) => ({ ...exec, principal: `${p}@example.com via IAM Identity Center (X)`, auditID: `audit-${p}`, time: `2026-03-02T02:4${i}:00.000Z` }));
    // In time order, as podActors is.
    const many = [people[0]!, exec, ...people.slice(1), ...[1, 2, 3].map((i) => ({ ...log, auditID: `audit-log-${i}`, time: `2026-03-02T02:5${i}:00.000Z` }))];
    const els = graphElements(withPeople(irsaInferredPod(), many, actor));
    const shown = nodes(els).filter((n) => n.kind === 'person');
    // The actor first, then by first action; their exec session is kept among their two actions drawn.
    expect(shown.map((n) => n.label)).toEqual(['ACTOR\ndave@example.com\n+2 more actions', 'PERSON\na@example.com', 'PERSON\nb@example.com']);
    expect(edges(els).filter((e) => e.target === `person:${SSO}`).map((e) => e.source)).toEqual(['action:audit-exec-1:exec', 'action:audit-log-3:log']);
    const more = nodes(els).find((n) => n.kind === 'more')!;
    expect(more.label).toBe('+3 MORE\npeople');
    expect(edges(els).find((e) => e.target === more.id)).toMatchObject({ source: 'pod', kind: 'more' });
    expect(renderToStaticMarkup(createElement(Steps, { elements: els, selected: null }))).not.toContain('MORE');
  });

  it('routes every edge past the pod clear of the other boxes when the chain wraps into rows', () => {
    for (const pane of [{ w: 757, h: 280 }, { w: 917, h: 340 }, { w: 600, h: 280 }, { w: 500, h: 420 }]) {
      const { boxes, edges: es, path } = drawn(graphElements(withPeople(irsaInferredPod(), [deploy, exec], actor), peopleView()), pane);
      for (const e of es) {
        if (isWrapEdge(boxes.get(e.source)!, boxes.get(e.target)!)) expect(crossed(path(e), [...boxes.values()], [e.source, e.target]), `${pane.w}×${pane.h} ${e.id}`).toEqual([]);
      }
    }
  });
});
