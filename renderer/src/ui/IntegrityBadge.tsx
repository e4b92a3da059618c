/**
 * The case's evidence integrity at a glance, in the header: the latest verification's headline (authenticated,
 * consistent, FAILED, …), or that the case was never verified, and whether files were added after it. Opens the
 * Integrity panel.
 */
import { useEffect, useState } from 'react';
import type { IntegrityView } from '../../../shared/api';
import { verdictTone } from '../model/integrity';
import { formatCount } from '../model/format';
import { errorText, useClient } from './client-context';

export function IntegrityBadge({ version, refresh, onOpen }: { version: number; refresh: unknown; onOpen: () => void }) {
  const client = useClient();
  const [view, setView] = useState<IntegrityView | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.call('integrity.get', {}).then(
      (v) => {
        if (!live) return;
        setView(v);
        setError(null);
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client, version, refresh]);
  if (view === undefined && !error) return null;
  const tone = error ? 'bad' : view ? (view.newerFiles > 0 && verdictTone(view.result.verdict) === 'ok' ? 'partial' : verdictTone(view.result.verdict)) : 'none';
  const words = error
    ? 'integrity unknown'
    : view
      ? `${view.result.verdict === 'failed' ? '✗' : view.result.verdict === 'authenticated' ? '✓' : '◐'} ${view.result.headline}${view.newerFiles > 0 ? ` · ${formatCount(view.newerFiles)} file${view.newerFiles === 1 ? '' : 's'} added since` : ''}`
      : 'not verified';
  const title = error
    ? error
    : view
      ? `Evidence integrity, verification #${view.runId} at ${view.verifiedAt} UTC: ${view.result.headline}.${view.newerFiles > 0 ? ` ${view.newerFiles} evidence file(s) were added after it and are not covered.` : ''} Click for the details.`
      : 'The case has not been verified against CloudTrail digest files: click, then Verify.';
  return (
    <button type="button" className={`integrity-badge tone-${tone}`} data-testid="integrity-badge" data-verdict={view?.result.verdict ?? 'none'} title={title} onClick={onOpen}>
      {words.length > 60 ? `${words.slice(0, 59)}…` : words}
    </button>
  );
}
