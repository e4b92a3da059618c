/**
 * The reader keeps every event's subject and reads them again only when the correlation's token changes
 * (`correlation_state.subjects_token`, migration 0160): so only a correlation may write `event_subjects`, in the
 * transaction that writes a new token. This holds the engine's writers of that table to the correlation's own files;
 * a new writer must write a token too (or NULL), and then join this list.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/reference';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const WRITES = /\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)\s+event_subjects\b/i;

describe("the writers of the events' subjects", () => {
  it('are the correlation and the pod actors it attaches, nothing else', () => {
    const writers = sources(join(REPO, 'electron'))
      .filter((f) => WRITES.test(readFileSync(f, 'utf8')))
      .map((f) => relative(REPO, f).replaceAll('\\', '/'))
      .sort();
    expect(writers).toEqual(['electron/engine/chain/correlate.ts', 'electron/engine/k8s/pod-actors.ts']);
  });
});
