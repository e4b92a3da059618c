/** The evidence pane of a selected step of the chain graph, checked against the records the engine cites for it. */
import { expect, type Page } from '@playwright/test';
import type { EvidenceRecordView } from '../../shared/api';

const recordKey = (r: Pick<EvidenceRecordView, 'kind' | 'id'>) => `${r.kind}:${r.id}`;

/**
 * The selected step `edgeId` lists exactly `records` (in that order), each with every file, record index and SHA-256
 * the engine gives, and its raw text once opened; under one confidence word, `confidence`.
 */
export async function checkStepEvidence(page: Page, edgeId: string, records: EvidenceRecordView[], confidence: string): Promise<void> {
  const sel = page.locator(`[data-testid="graph-selection"][data-selected="${edgeId}"]`);
  await expect(sel).toBeVisible();
  await expect(sel).not.toContainText('No record establishes this step');
  await expect(sel.getByTestId('step-confidence')).toHaveAttribute('data-confidence', confidence);
  await expect(sel.locator('.conf'), 'one confidence word for the step').toHaveCount(1);
  const items = sel.getByTestId('step-evidence');
  await expect(items).toHaveCount(records.length);
  const shown = await items.evaluateAll((els) => els.map((el) => `${el.getAttribute('data-kind')}:${el.getAttribute('data-record-id')}`));
  expect(shown).toEqual(records.map(recordKey));
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const item = items.nth(i);
    expect(r.provenance.length, recordKey(r)).toBeGreaterThan(0);
    const sources = item.getByTestId('evidence-source');
    await expect(sources).toHaveCount(r.provenance.length);
    for (let j = 0; j < r.provenance.length; j++) {
      const p = r.provenance[j]!;
      await expect(sources.nth(j).getByTestId('evidence-path')).toHaveText(p.path);
      await expect(sources.nth(j).getByTestId('evidence-index')).toHaveText(`record #${p.recordIndex}`);
      await expect(sources.nth(j).getByTestId('evidence-sha256')).toHaveText(p.fileSha256);
    }
    // The record itself opens from the item.
    const details = item.locator('details.record-raw');
    if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
    const raw = item.getByTestId('hop-record');
    await expect(raw).toBeVisible();
    if (r.kind !== 'document') await expect(raw).toContainText(r.id);
  }
}
