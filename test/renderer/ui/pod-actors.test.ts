/** The detail pane's People section (renderer/src/ui/PodActors.tsx): the actor, the actions on the pod, their evidence. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PodActors } from '../../../renderer/src/ui/PodActors';
import type { TraceView } from '../../../shared/api';
import type { EventActor, PodActorAction } from '../../../shared/attribution';
import { irsaInferredPod } from '../fixtures';

const exec: PodActorAction = {
  action: 'exec', time: '2026-03-02T02:41:10.693Z', kubernetesUser: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Audit_x/dave-example.com',
  principal: 'dave@example.com via IAM Identity Center (AWSReservedSSO_Audit_x)', accessKeyId: 'ASIAEXAMPLEKEY000001', auditID: 'audit-exec-1',
  confidence: 'proven', target: 'pod shop/api-7d9f8c6b5d-abcde', why: 'user.extra.accessKeyId ASIAEXAMPLEKEY000001 is not issued in the bundle; … the chain stops there',
};
const deploy: PodActorAction = {
  ...exec, action: 'deploy', auditID: 'audit-deploy-1', principal: 'arn:aws:iam::444455556666:user/ci/deployer', target: 'deployment shop/api → replicaset api-7d9f8c6b5d', why: 'issued by AssumeRole a2, through 2 more hop(s) of role chaining',
};
const actor: EventActor = { principal: exec.principal!, auditID: 'audit-exec-1', confidence: 'inferred', why: 'had an exec session (audit audit-exec-1) open; its user agent is aws-cli\'s' };

function withPeople(t: TraceView, podActors: PodActorAction[], a: EventActor | null): TraceView {
  return { ...t, attribution: { ...t.attribution!, podActors, actor: a } };
}
const html = (t: TraceView) => renderToStaticMarkup(createElement(PodActors, { trace: t, onPivot: () => {} }));

describe('PodActors', () => {
  it('shows the actor with its confidence and exec session, and each action with its principal, why and audit event', () => {
    const out = html(withPeople(irsaInferredPod(), [deploy, exec], actor));
    expect(out).toContain('data-testid="event-actor"');
    expect(out).toContain('Actor: dave@example.com via IAM Identity Center (AWSReservedSSO_Audit_x)');
    expect(out).toMatch(/data-confidence="inferred"/);
    // Each audit event opens to its record (read from the case when opened: evidence.audit).
    expect(out).toMatch(/<details[^>]*data-testid="audit-record" data-audit-id="audit-exec-1"><summary>exec session, audit <span[^>]*>audit-exec-1<\/span>/);
    const items = [...out.matchAll(/data-testid="pod-actor" data-action="(\w+)"/g)].map((m) => m[1]);
    expect(items).toEqual(['deploy', 'exec']);
    expect(out).toMatch(/data-testid="pod-actor" data-action="deploy" data-audit-id="audit-deploy-1".*<summary>audit <span[^>]*>audit-deploy-1<\/span>/);
    expect(out).toContain('arn:aws:iam::444455556666:user/ci/deployer');
    expect(out).toContain('through 2 more hop(s) of role chaining');
    expect(out).toMatch(/key (<!-- -->)?ASIAEXAMPLEKEY000001/);
  });

  it('says no one is the actor when the pod has actions but nothing points to a person; renders nothing without either', () => {
    expect(html(withPeople(irsaInferredPod(), [deploy], null))).toContain('Actor: none');
    expect(html(withPeople(irsaInferredPod(), [], null))).toBe('');
  });

  it("pivots the table to a principal's events with the principal filter, in the record's own words", () => {
    const pivots: unknown[] = [];
    const el = PodActors({ trace: withPeople(irsaInferredPod(), [exec], null), onPivot: (f) => pivots.push(f) });
    // Find the "their calls" button in the rendered tree and press it.
    const find = (n: unknown): { props: { onClick: () => void } } | null => {
      if (!n || typeof n !== 'object') return null;
      const p = (n as { props?: Record<string, unknown> }).props;
      if (p?.['data-testid'] === 'pivot-principal') return n as { props: { onClick: () => void } };
      if (typeof (n as { type?: unknown }).type === 'function') return find((n as { type: (x: unknown) => unknown }).type(p));
      for (const c of ([] as unknown[]).concat(p?.children ?? [])) {
        const hit = find(c);
        if (hit) return hit;
      }
      return null;
    };
    find(el)!.props.onClick();
    expect(pivots).toEqual([{ principal: exec.principal }]);
  });
});
