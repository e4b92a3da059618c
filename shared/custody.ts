/** Reading the case's custody log: shared by the command line and the app. */
import type { CustodyEntry } from './api';

/** What one custody entry did, in a few lines (the CLI's `custody` output and the app's custody list). */
export function custodySummary(e: CustodyEntry): string[] {
  const d = e.details;
  const files = d.files as { count?: number; fromId?: number; toId?: number; sha256?: string } | undefined;
  const pinned = files && files.count ? [`evidence files ${files.fromId}–${files.toId} (${files.count}), manifest SHA-256 ${files.sha256}`] : [];
  switch (e.action) {
    case 'ingest':
      if (d.outcome === 'interrupted') return [`outcome: interrupted. ${String(d.note ?? '')}`, ...pinned];
      return [
        `inputs: ${((d.inputs as string[] | undefined) ?? []).join(', ')}`,
        `outcome: ${String(d.outcome)}${d.error ? ` (${String(d.error)})` : ''}; ${d.loaded ?? 0} files loaded, ${d.alreadyLoaded ?? 0} already in the case, ${d.failed ?? 0} unreadable; ${d.newEvents ?? 0} new events`,
        ...pinned,
      ];
    case 'export':
      if (d.scope === 'event table') {
        const filters = Object.entries((d.filters as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
        return [
          `${String(d.format)} export of the event table, ${Number(d.events ?? 0)} events (${filters.length ? `filters: ${filters.join(', ')}` : 'no filters'}) → ${String(d.destination)}`,
          `file SHA-256 ${String(d.sha256)}, ${Number(d.bytes ?? 0)} bytes`,
        ];
      }
      if (d.scope === 'case report') {
        const ev = (d.events as string[] | undefined) ?? [];
        const keys = (d.keys as string[] | undefined) ?? [];
        return [
          `${String(d.format)} case report on ${ev.length} event(s)${ev.length ? ` (${ev.join(', ')})` : ''} and ${keys.length} session(s)${keys.length ? ` (${keys.join(', ')})` : ''} → ${String(d.destination)}`,
          `report SHA-256 ${String(d.reportSha256)}`,
        ];
      }
      return [`${String(d.format)} report on event ${String(d.eventID)} → ${String(d.destination)}`, `report SHA-256 ${String(d.reportSha256)}`];
    case 'case-created':
      return ['empty case created'];
    case 'custody-log-started':
      return [String(d.note ?? ''), ...pinned];
    case 'annotate': {
      const t = d.target as { kind?: string; value?: string } | undefined;
      const what = d.kind === 'star' ? 'star' : `${String(d.kind)} ${JSON.stringify(String(d.text ?? ''))}`;
      return [`${d.op === 'remove' ? 'removed' : 'added'} ${what} (annotation ${Number(d.id)}) on ${String(t?.kind)} ${String(t?.value)}`];
    }
    case 'verify':
      return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
}
