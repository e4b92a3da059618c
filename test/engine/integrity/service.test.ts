/** The API rows `integrity.get` and `integrity.verify` through the dispatcher every transport uses. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseService } from '../../../electron/engine/service/case-service';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import type { IntegrityView } from '../../../shared/api';
import { put } from '../../helpers/evidence';
import { writeFixture } from '../../helpers/integrity-fixture';

describe('integrity API', () => {
  it('is null before a verification; verify runs with key lists given by region and is then the latest', async () => {
    const fx = writeFixture({ keys: 'file' });
    const casePath = join(fx.dir, 'case.db');
    const db = openCase(casePath);
    await ingestEvidence(db, [fx.bundle], { workers: 0 });
    const service = new CaseService(db, casePath);
    expect(await service.dispatch('integrity.get', {})).toEqual({ ok: true, value: null });

    const noKeys = await service.dispatch('integrity.verify', {});
    expect(noKeys.ok && (noKeys.value as IntegrityView).result.headline).toBe('consistent, not authenticated');

    const run = await service.dispatch('integrity.verify', { publicKeys: [{ region: 'us-east-1', path: fx.keysFile! }] });
    expect(run.ok).toBe(true);
    const view = (run as { value: IntegrityView }).value;
    expect(view).toMatchObject({ runId: 2, newerFiles: 0, result: { verdict: 'authenticated', headline: 'authenticated to 2026-03-02T04:00:00Z' } });
    expect(await service.dispatch('integrity.get', {})).toEqual({ ok: true, value: view });

    // A file added since: the view says the verification does not cover it.
    await ingestEvidence(db, [put(fx.dir, 'later/x.json', '{"Records":[]}')], { workers: 0 });
    const later = await service.dispatch('integrity.get', {});
    expect(later.ok && (later.value as IntegrityView).newerFiles).toBe(1);

    // Bad input: not a region; a key file that cannot be read.
    expect(await service.dispatch('integrity.verify', { publicKeys: [{ region: 'mars', path: fx.keysFile! }] })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(await service.dispatch('integrity.verify', { publicKeys: [{ region: 'us-east-1', path: join(fx.dir, 'nope.json') }] })).toMatchObject({
      ok: false,
      error: { code: 'bad-input', message: expect.stringContaining('cannot read public keys') },
    });
    service.close();
  });
});
