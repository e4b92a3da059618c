/**
 * The Evidence panel's summary (issue 17 part 5): what the evidence covers per account and region and in time —
 * events, first and last, hours with no event between them (a possible gap), the files behind each — and the
 * Kubernetes evidence; so that 953 files read as "two accounts, three regions, 6 hours, one gap", not as a list.
 */
import { useEffect, useState } from 'react';
import type { CoverageView } from '../../../shared/api';
import { formatCount, formatTime, shown } from '../model/format';
import { errorText, useClient } from './client-context';

const FORMAT_WORDS: Record<string, string> = {
  'cloudtrail-log': 'CloudTrail log files',
  'cloudtrail-digest': 'CloudTrail digest files',
  'cloudtrail-insight': 'CloudTrail Insights files',
  'k8s-audit': 'EKS audit logs',
  'k8s-list': 'Kubernetes lists (kubectl get -o json)',
  'k8s-object': 'Kubernetes / AWS describe documents',
};

export function formatWords(format: string): string {
  return FORMAT_WORDS[format] ?? format;
}

export function Coverage({ version }: { version: number }) {
  const client = useClient();
  const [cov, setCov] = useState<CoverageView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.call('evidence.coverage', {}).then(
      (c) => live && setCov(c),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client, version]);
  if (error) return <div className="err">{error}</div>;
  if (!cov) return null;
  const accounts = new Set(cov.cloudtrail.map((c) => c.account)).size;
  const regions = new Set(cov.cloudtrail.map((c) => c.region)).size;
  const gaps = cov.cloudtrail.filter((c) => c.hoursWithEvents < c.hoursSpanned).length;
  const k = cov.kubernetes;
  return (
    <details className="coverage" open data-testid="coverage">
      <summary>
        Coverage: {formatCount(accounts)} account{accounts === 1 ? '' : 's'}, {formatCount(regions)} region{regions === 1 ? '' : 's'}
        {gaps > 0 && <span className="gap"> — {gaps} with hours that hold no event</span>}
        {k.auditEvents > 0 && `; ${formatCount(k.auditEvents)} Kubernetes audit events`}
        <span className="muted"> · {cov.byFormat.map((f) => `${formatCount(f.files)} ${formatWords(f.format)}`).join(', ')}</span>
      </summary>
      <table className="grid compact">
        <thead>
          <tr>
            <th>account</th>
            <th>region</th>
            <th className="num">events</th>
            <th>first (UTC)</th>
            <th>last (UTC)</th>
            <th className="num" title="hours between the first and last event that hold at least one event">hours with events</th>
            <th className="num" title="CloudTrail log files under AWSLogs/<account>/CloudTrail/<region>/">log files</th>
          </tr>
        </thead>
        <tbody>
          {cov.cloudtrail.map((c, i) => (
            <tr key={i} data-testid="coverage-row" data-account={c.account ?? ''} data-region={c.region ?? ''}>
              <td className="mono">{c.account ? shown(c.account) : '—'}</td>
              <td>{c.region ? shown(c.region) : '—'}</td>
              <td className="num">{formatCount(c.events)}</td>
              <td className="mono">{formatTime(c.first)}</td>
              <td className="mono">{formatTime(c.last)}</td>
              <td className={`num ${c.hoursWithEvents < c.hoursSpanned ? 'gap' : ''}`} title={c.hoursWithEvents < c.hoursSpanned ? `${c.hoursSpanned - c.hoursWithEvents} hour(s) between the first and last event hold no event: a gap in the logs, or a quiet hour` : 'every hour holds events'}>
                {formatCount(c.hoursWithEvents)} of {formatCount(c.hoursSpanned)}
              </td>
              <td className="num">{c.files ? formatCount(c.files) : <span className="muted" title="not in the S3 layout (exports, JSON Lines, SIEM)">—</span>}</td>
            </tr>
          ))}
          {k.auditEvents + k.inventoryFiles > 0 && (
            <tr data-testid="coverage-kubernetes">
              <td colSpan={2}>Kubernetes</td>
              <td className="num">{formatCount(k.auditEvents)} audit</td>
              <td className="mono">{k.first ? formatTime(k.first) : '—'}</td>
              <td className="mono">{k.last ? formatTime(k.last) : '—'}</td>
              <td />
              <td className="num">
                {formatCount(k.auditFiles)} audit, {formatCount(k.inventoryFiles)} inventory
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </details>
  );
}
