/**
 * The app's ingest progress ends on the result's counts (issue 11, item 12: the progress line's last state disagreed
 * with the summary — the last report was dropped by the rate limit). Real trail files: invictus-ir
 * (test/fixtures/reference/public/invictus-ir_aws_dataset).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseService } from '../../../electron/engine/service/case-service';
import type { IngestDoneEvent, IngestProgressEvent } from '../../../shared/api';
import { invictusFiles, put, readTrail, tempDir } from '../../helpers/evidence';
import { ingestDone } from '../../helpers/service';

describe('ingest progress in the app', () => {
  it('the last ingest.progress push has the counts of ingest.done', async () => {
    const dir = tempDir('progress');
    const files = invictusFiles().slice(0, 4);
    for (const f of files) put(dir, `ev/${f.split('/').pop()}`, readFileSync(f));
    const pushes: { name: string; payload: unknown }[] = [];
    const service = CaseService.open(join(dir, 'case.db'), (name, payload) => pushes.push({ name, payload }));
    const started = await service.dispatch('ingest.start', { paths: [join(dir, 'ev')] });
    expect(started.ok).toBe(true);
    await ingestDone(pushes);
    const done = pushes.find((p) => p.name === 'ingest.done')!.payload as IngestDoneEvent;
    const progress = pushes.filter((p) => p.name === 'ingest.progress').map((p) => p.payload as IngestProgressEvent);
    expect(done).toMatchObject({ ok: true, loaded: 4, failed: 0 });
    const last = progress[progress.length - 1]!;
    expect(last).toMatchObject({ filesDone: done.loaded, filesFailed: done.failed, filesSkipped: 0, records: files.reduce((n, f) => n + readTrail(f).records.length, 0) });
    service.close();
  });
});
