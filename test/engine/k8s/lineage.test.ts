/**
 * Rule: IRSA refresh lineage (electron/engine/k8s/lineage.ts). Two replicas that nothing else tells apart: which
 * exchanges can each have made, given that a pod stops using a session once it has exchanged its token again.
 */
import { describe, expect, it } from 'vitest';
import { HANDOFF_SLACK_MS, lineageFeasible, MAX_STATES, type LineageExchange } from '../../../electron/engine/k8s/lineage';

const MIN = 60_000;
const x = (id: string, atMin: number, lastUseMin: number, domain: string[] | null = ['a', 'b']): LineageExchange => ({
  id,
  atMs: atMin * MIN,
  lastUseMs: lastUseMin * MIN,
  domain,
});
const sets = (m: Map<string, Set<string>> | null) => (m ? Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()])) : null);

describe('refresh lineage', () => {
  it('a pod whose session is still in use cannot have made the next exchange', () => {
    // a's first session is used until minute 50, so the exchange at minute 10 is b's; b's session is used until
    // minute 58, so the one at minute 52 is a's.
    const r = lineageFeasible([x('a1', 0, 50, ['a']), x('e2', 10, 58), x('e3', 52, 100)]);
    expect(sets(r)).toEqual({ a1: ['a'], e2: ['b'], e3: ['a'] });
  });

  it('symmetric replicas stay ambiguous: both orders fit', () => {
    const r = lineageFeasible([x('e1', 0, 45), x('e2', 1, 46), x('e3', 47, 90), x('e4', 48, 91)]);
    expect(sets(r)).toEqual({ e1: ['a', 'b'], e2: ['a', 'b'], e3: ['a', 'b'], e4: ['a', 'b'] });
  });

  it('constraints propagate forward and backward through the whole account', () => {
    // e1 and e2 overlap, so they are one pod each, either way round; e3 comes while e2's session is still in use,
    // so it is whichever pod made e1. Nothing says which: all stay ambiguous. Once e1 is known to be a's, e2 is
    // b's and e3 is a's.
    const r = lineageFeasible([x('e1', 0, 40), x('e2', 5, 70), x('e3', 45, 90), x('a-only', 95, 100, ['a'])]);
    expect(sets(r)).toEqual({ e1: ['a', 'b'], e2: ['a', 'b'], e3: ['a', 'b'], 'a-only': ['a'] });
    const pinned = lineageFeasible([x('e1', 0, 40, ['a']), x('e2', 5, 70), x('e3', 45, 90)]);
    expect(sets(pinned)).toEqual({ e1: ['a'], e2: ['b'], e3: ['a'] });
  });

  it('requests in flight just after a refresh are allowed (the slack), later use is not', () => {
    const within = HANDOFF_SLACK_MS / MIN - 0.5;
    expect(sets(lineageFeasible([x('e1', 0, 30 + within, ['a']), x('e2', 30, 60, ['a'])]))).toEqual({ e1: ['a'], e2: ['a'] });
    expect(lineageFeasible([x('e1', 0, 30 + HANDOFF_SLACK_MS / MIN + 1, ['a']), x('e2', 30, 60, ['a'])])).toBeNull();
  });

  it('an exchange that may come from anywhere constrains nothing and gets no answer', () => {
    const r = lineageFeasible([x('a1', 0, 50, ['a']), x('stolen', 10, 58, null), x('e3', 12, 40)]);
    expect(sets(r)).toEqual({ a1: ['a'], e3: ['b'] });
  });

  it('no consistent assignment (more concurrent sessions than pods): no answer at all', () => {
    expect(lineageFeasible([x('e1', 0, 50), x('e2', 1, 50), x('e3', 2, 50)])).toBeNull();
  });

  it('says nothing when one process name has two sessions in use at once (workers forked in the same second)', () => {
    const named = (x0: LineageExchange, holder: string) => ({ ...x0, holder });
    // Alone, the lineage would pin e2 on b; but e1 and e2 carry the same botocore name and overlap: two holders.
    expect(lineageFeasible([x('a1', 0, 50, ['a']), x('e2', 10, 58)])).not.toBeNull();
    expect(lineageFeasible([named(x('a1', 0, 50, ['a']), 'botocore-session-1'), named(x('e2', 10, 58), 'botocore-session-1')])).toBeNull();
    // The same name for sessions that hand over (one process refreshing) is what one holder looks like.
    expect(sets(lineageFeasible([named(x('e1', 0, 45, ['a']), 'botocore-session-1'), named(x('e2', 46, 90, ['a']), 'botocore-session-1')]))).toEqual({ e1: ['a'], e2: ['a'] });
  });

  it('gives up rather than guess when the search grows too large', () => {
    // Many pods with long overlapping sessions: the number of states explodes past the cap.
    const pods = Array.from({ length: 16 }, (_, i) => `p${i}`);
    const many = Array.from({ length: 12 }, (_, i) => x(`e${i}`, i, 1000 + i, pods));
    expect(MAX_STATES).toBeLessThan(16 ** 4);
    expect(lineageFeasible(many)).toBeNull();
  });
});
