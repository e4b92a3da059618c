/**
 * A node's blast radius (`blast.radius`: every event of a session, service account, pod or node) drawn compactly:
 * one node per kind of call (source + name) with its count, so 2,000 events stay a readable handful of nodes.
 * Pure.
 */
import type { EventPage, EventRowView } from '../../../shared/api';
import { nodeBox, type GraphElement } from './graph';
import { formatCount, shortSource } from './format';

export const BLAST_LIMIT = 2000;
/** Beyond this many kinds of call, the smallest groups fold into one "other" node. */
export const MAX_GROUPS = 24;

export interface BlastGroup {
  id: string;
  source: string;
  name: string;
  rows: EventRowView[];
  errors: number;
}

export function groupRows(anchor: string, rows: readonly EventRowView[], maxGroups = MAX_GROUPS): BlastGroup[] {
  const byKind = new Map<string, BlastGroup>();
  for (const row of rows) {
    const k = `${row.eventSource}\u0000${row.eventName}`;
    let g = byKind.get(k);
    if (!g) {
      g = { id: `blast:${anchor}:${row.eventSource}:${row.eventName}`, source: row.eventSource, name: row.eventName, rows: [], errors: 0 };
      byKind.set(k, g);
    }
    g.rows.push(row);
    if (row.errorCode) g.errors++;
  }
  const groups = [...byKind.values()].sort((a, b) => b.rows.length - a.rows.length || a.name.localeCompare(b.name));
  if (groups.length <= maxGroups) return groups;
  const kept = groups.slice(0, maxGroups - 1);
  const folded = groups.slice(maxGroups - 1);
  kept.push({
    id: `blast:${anchor}:other`,
    source: '',
    name: `${folded.length} other kinds`,
    rows: folded.flatMap((g) => g.rows),
    errors: folded.reduce((s, g) => s + g.errors, 0),
  });
  return kept;
}

export function bandId(anchor: string): string {
  return `blast:${anchor}`;
}

/**
 * Elements for one expansion of `anchor` (a node id of the chain graph): a band (compound node) holding one node
 * per kind of call, and a single edge from the anchor to the band.
 */
export function blastElements(anchor: string, page: EventPage, what = 'node', maxGroups = MAX_GROUPS): GraphElement[] {
  const band = bandId(anchor);
  const groups = groupRows(anchor, page.rows, maxGroups);
  const shown = page.rows.length < page.total ? `${formatCount(page.rows.length)} of ${formatCount(page.total)}` : formatCount(page.total);
  const out: GraphElement[] = [
    {
      group: 'nodes',
      data: {
        id: band,
        kind: 'blastBand',
        label: `blast radius of ${what}: ${shown} events, ${groups.length} kinds of call`,
        title: `Every event attributed to this ${what}: ${shown}${page.rows.length < page.total ? ' (the first, by time)' : ''}`,
        w: 0,
        h: 0,
        blast: { anchor, eventIDs: [], errors: groups.reduce((s, g) => s + g.errors, 0) },
      },
    },
    { group: 'edges', data: { id: `${anchor}->${band}`, source: anchor, target: band, kind: 'blast', label: '', confidence: 'none', rule: null, hops: [], decisive: 0, selfFields: [] } },
  ];
  for (const g of groups) {
    const label = [g.name, `${g.source ? `${shortSource(g.source)} · ` : ''}×${formatCount(g.rows.length)}${g.errors ? ` · ${formatCount(g.errors)} err` : ''}`].join('\n');
    out.push({
      group: 'nodes',
      data: {
        id: g.id,
        kind: 'blastGroup',
        parent: band,
        label,
        title: `${formatCount(g.rows.length)} × ${g.name}${g.source ? ` (${g.source})` : ''}${g.errors ? `, ${g.errors} failed` : ''}`,
        ...nodeBox(label),
        blast: { anchor, eventIDs: g.rows.map((r) => r.eventID), errors: g.errors },
      },
    });
  }
  return out;
}
