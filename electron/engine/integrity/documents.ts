/**
 * The two AWS CLI outputs that validation needs besides the digests, recognised from their content at ingest:
 *
 * - `aws cloudtrail list-public-keys` → `{"PublicKeyList":[{"Value","ValidityStartTime","ValidityEndTime","Fingerprint"}]}`
 *   (spelled `publicKeyList` in the sample response of AWS's user guide, "Custom implementations of CloudTrail log
 *   file integrity validation").
 *   Keys are per region and the output does not say which: the region is read from the file's path (see
 *   keys.ts `regionFromPath`), or given on the command line (`verify --public-keys <region>=<file>`).
 * - `aws s3api head-object --bucket … --key <digest>` → `{"Metadata":{"signature","signature-algorithm"}, …}`: the
 *   only place the newest digest's own signature exists. The output does not name the object either: it is tied
 *   to its digest by file name, `<digest file name>.head-object.json` (see head-object.ts).
 */
import { obj } from '../util/json';

export const INTEGRITY_DOCUMENT_KINDS = ['cloudtrail-public-keys', 's3-head-object'] as const;
export type IntegrityDocumentKind = (typeof INTEGRITY_DOCUMENT_KINDS)[number];

/** The key list of `list-public-keys` output (either spelling), or undefined. */
export function publicKeyListOf(value: unknown): unknown[] | undefined {
  const o = obj(value);
  if (Array.isArray(o?.PublicKeyList)) return o.PublicKeyList;
  if (Array.isArray(o?.publicKeyList)) return o.publicKeyList;
  return undefined;
}

export function integrityDocumentKind(value: unknown): IntegrityDocumentKind | null {
  const o = obj(value);
  if (!o) return null;
  if (publicKeyListOf(o)) return 'cloudtrail-public-keys';
  const meta = obj(o.Metadata);
  if (meta && typeof meta.signature === 'string') return 's3-head-object';
  return null;
}
