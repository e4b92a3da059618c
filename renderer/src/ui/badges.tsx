/** Confidence and mechanism marks: colour plus a word or letter, never colour alone. */
import type { Confidence, Mechanism } from '../../../shared/attribution';
import type { Severity } from '../../../shared/detections';

const CONF_TITLE: Record<Confidence, string> = {
  proven: 'proven: a record states it',
  inferred: 'inferred: a join on time, cluster or name picked one answer',
  ambiguous: 'ambiguous: several answers remain (see candidates)',
  none: 'none: the evidence does not reach',
};

export function ConfidenceBadge({ value, testId }: { value: Confidence; testId?: string }) {
  return (
    <span className={`conf conf-${value}`} title={CONF_TITLE[value]} data-testid={testId} data-confidence={value}>
      {value}
    </span>
  );
}

/** Three letters for the table: identity, pod, node. */
export function ConfidenceTriplet({ c }: { c: { identity: Confidence; pod: Confidence; node: Confidence } }) {
  return (
    <span className="conf-triplet">
      {(['identity', 'pod', 'node'] as const).map((k) => (
        <span key={k} className={`conf-dot conf-${c[k]}`} title={`${k}: ${c[k]}`}>
          {k[0]!.toUpperCase()}
        </span>
      ))}
    </span>
  );
}

export function MechanismTag({ value }: { value: Mechanism }) {
  return <span className={`mech mech-${value}`}>{value}</span>;
}

const SEVERITY_TITLE: Record<Severity, string> = {
  high: 'high severity: a credential used by someone who should not hold it',
  medium: 'medium severity: worth a look, often benign',
  low: 'low severity',
};

/** A detection's severity, as a word (shared/detections.ts). */
export function SeverityTag({ value }: { value: Severity }) {
  return (
    <span className={`sev-tag sev-${value}`} title={SEVERITY_TITLE[value]} data-testid="severity">
      {value}
    </span>
  );
}
