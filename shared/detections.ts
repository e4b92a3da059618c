/**
 * How much each detection (shared/attribution.ts FLAGS) matters at triage: one severity per detection, the same
 * in the app, the reports and any export. `high`: the detection says a credential was used by someone who should
 * not hold it (stolen token, node credentials off the node, credentials outliving their pod, a token minted or
 * exchanged by hand). `medium`: behaviour worth a look that is often benign (a first call of an API).
 */
import { FLAGS, type Flag } from './attribution';

export const SEVERITIES = ['high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface DetectionInfo {
  severity: Severity;
  /** One line: what the detection means, for tooltips and menus. */
  summary: string;
}

export const DETECTIONS: Readonly<Record<Flag, DetectionInfo>> = {
  'token-exchange-outside-cluster': { severity: 'high', summary: 'a service account token exchanged from outside the cluster (and every call of the session it opened)' },
  'node-credentials-off-node': { severity: 'high', summary: "an instance's credentials used away from the instance" },
  'token-minted-by-non-kubelet': { severity: 'high', summary: 'a service account token minted by something other than a kubelet, then exchanged' },
  'credentials-after-pod-deleted': { severity: 'high', summary: "a pod's credentials used after its containers stopped" },
  'eks-auth-by-hand': { severity: 'high', summary: 'a Pod Identity token exchanged by hand (AWS CLI), not by the node agent' },
  'exec-then-credential-use': { severity: 'high', summary: "a call made with a pod's credentials during someone's exec session into that pod, unlike the workload's own calls" },
  'human-minted-token': { severity: 'high', summary: 'a service account token minted by a person (named), then exchanged for AWS credentials' },
  'first-seen-api': { severity: 'medium', summary: 'a service account calling an API for the first time, after a baseline that had stopped meeting new APIs' },
};

export function severityOf(flag: Flag): Severity {
  return DETECTIONS[flag].severity;
}

/** The most severe of some detections (null for none). */
export function topSeverity(flags: readonly Flag[]): Severity | null {
  let best: Severity | null = null;
  for (const f of flags) {
    const s = severityOf(f);
    if (best === null || SEVERITIES.indexOf(s) < SEVERITIES.indexOf(best)) best = s;
  }
  return best;
}

/** Detections most severe first, then by name: the order menus and lists show them in. */
export function bySeverity(flags: readonly Flag[] = FLAGS): Flag[] {
  return [...flags].sort((a, b) => SEVERITIES.indexOf(severityOf(a)) - SEVERITIES.indexOf(severityOf(b)) || a.localeCompare(b));
}
