/** Confidence order and the words the UI uses for chain rules. Pure. */
import type { Confidence } from '../../../shared/attribution';

const RANK: Record<Confidence, number> = { proven: 3, inferred: 2, ambiguous: 1, none: 0 };

/** The weakest of several confidences (a chain is as strong as its weakest hop). */
export function weakest(cs: readonly Confidence[], fallback: Confidence = 'none'): Confidence {
  if (cs.length === 0) return fallback;
  return cs.reduce((a, b) => (RANK[b] < RANK[a] ? b : a));
}

/** Short names for the engine's rule ids (electron/engine/chain/model.ts RuleId); unknown ids show as is. */
const RULE_WORDS: Record<string, string> = {
  'key-issuance': 'key issued',
  'key-outside-window': 'key id only',
  'role-chain': 'role chain',
  'irsa-subject': 'web identity',
  'irsa-cluster': 'OIDC issuer',
  'pod-identity-tags': 'session tags',
  'pod-identity-session-name': 'session name',
  'pod-identity-association': 'association',
  'pod-identity-node': 'eks-auth timing',
  'pod-identity-binding': 'node binding',
  'irsa-pod': 'audit timeline',
  'node-instance-session': 'instance session',
  principal: 'identity',
  // Past the pod (case/people.ts): an action's audit event, who made it, the key it was signed with.
  'pod-action': 'audit log',
  'audit-user': 'audit user',
  'audit-key': 'signed with',
};

export function ruleWords(rule: string): string {
  return RULE_WORDS[rule] ?? rule;
}
