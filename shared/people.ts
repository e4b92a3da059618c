/**
 * Which of the people behind a pod the chain graph draws (`podActors`, grouped by person), so that the engine
 * (`trace.people`: it traces only their keys and reads only their audit events) and the renderer (the graph) pick
 * the same ones. A pod can have many actors: the event's actor first, then the others in the order of their first
 * action; each with their latest actions (the actor's exec session always among them), listed in time order. Pure.
 */
import type { EventActor, PodActorAction } from './attribution';

/** What the graph draws past a pod: this many people, each with this many actions; the rest are counted. */
export const PEOPLE_LIMITS = { people: 3, actions: 2 } as const;

export interface PersonPick {
  /** As `podActors` names them: the root principal, else the Kubernetes user. */
  who: string;
  /** Whether they are the event's `actor` (whose exec session most plausibly made the call). */
  actor: boolean;
  /** The actions listed, in time order. */
  actions: PodActorAction[];
  /** Their other actions on the pod, not listed. */
  moreActions: number;
}

export function personOf(a: PodActorAction): string {
  return a.principal ?? a.kubernetesUser;
}

export function selectPeople(
  podActors: readonly PodActorAction[] | undefined,
  actor: EventActor | null | undefined,
  limits: { people: number; actions: number } = PEOPLE_LIMITS,
): { people: PersonPick[]; more: number } {
  const byWho = new Map<string, PodActorAction[]>();
  for (const a of podActors ?? []) byWho.set(personOf(a), [...(byWho.get(personOf(a)) ?? []), a]);
  const all = [...byWho].map(([who, acts]) => ({ who, acts, actor: actor?.principal === who }));
  // The actor first; the others keep the order of their first action (podActors is in time order).
  all.sort((x, y) => Number(y.actor) - Number(x.actor));
  const people = all.slice(0, limits.people).map(({ who, acts, actor: isActor }) => {
    const session = isActor ? acts.find((a) => a.auditID === actor!.auditID) : undefined;
    const latest = [...acts].reverse().filter((a) => a !== session);
    const kept = new Set([...(session ? [session] : []), ...latest].slice(0, limits.actions));
    return { who, actor: isActor, actions: acts.filter((a) => kept.has(a)), moreActions: acts.length - kept.size };
  });
  return { people, more: all.length - people.length };
}
