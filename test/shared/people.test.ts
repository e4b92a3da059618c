/** Which people behind a pod the chain graph draws (shared/people.ts): the same pick in the engine and the renderer. */
import { describe, expect, it } from 'vitest';
import { PEOPLE_LIMITS, selectPeople } from '../../shared/people';
import type { PodActorAction } from '../../shared/attribution';

const act = (who: string | null, auditID: string, time: string, user = `k8s-${who}`): PodActorAction => ({
  action: 'log', time, kubernetesUser: user, principal: who, accessKeyId: null, auditID, confidence: 'proven', target: 'pod ns/p', why: '',
});

describe('selectPeople', () => {
  const list = [
    act('a', 'a1', '2026-03-02T01:00:00Z'),
    act('b', 'b1', '2026-03-02T01:01:00Z'),
    act('a', 'a2', '2026-03-02T01:02:00Z'),
    act(null, 'n1', '2026-03-02T01:03:00Z', 'system:serviceaccount:ci:deployer'),
    act('c', 'c1', '2026-03-02T01:04:00Z'),
    act('d', 'd1', '2026-03-02T01:05:00Z'),
    act('a', 'a3', '2026-03-02T01:06:00Z'),
    act('d', 'd2', '2026-03-02T01:07:00Z'),
  ];

  it('groups by principal (else the Kubernetes user), in the order of their first action, and counts the rest', () => {
    const p = selectPeople(list, null);
    expect(p.people.map((x) => x.who)).toEqual(['a', 'b', 'system:serviceaccount:ci:deployer']);
    expect(p.more).toBe(2);
    // Their latest actions, listed in time order.
    expect(p.people[0]!.actions.map((x) => x.auditID)).toEqual(['a2', 'a3']);
    expect(p.people[0]!.moreActions).toBe(1);
    expect(PEOPLE_LIMITS).toEqual({ people: 3, actions: 2 });
  });

  it("puts the event's actor first and keeps their exec session among the actions listed", () => {
    const p = selectPeople(list, { principal: 'd', auditID: 'd1', confidence: 'inferred', why: '' }, { people: 2, actions: 1 });
    expect(p.people.map((x) => [x.who, x.actor])).toEqual([['d', true], ['a', false]]);
    expect(p.people[0]!.actions.map((x) => x.auditID)).toEqual(['d1']);
    expect(p.people[0]!.moreActions).toBe(1);
    expect(p.more).toBe(3);
  });

  it('has nothing to pick without actions', () => {
    expect(selectPeople(undefined, null)).toEqual({ people: [], more: 0 });
  });
});
