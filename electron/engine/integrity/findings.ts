/** Collecting findings, and the per-file outcomes they add up to. */
import type { FileInput, FileResult, FileRole, FileStatus, Finding, FindingKind, Severity } from './types';

export class Findings {
  readonly list: Finding[] = [];

  add(severity: Severity, kind: FindingKind, message: string, where: { file?: string; digest?: string } = {}): void {
    this.list.push({ severity, kind, message, ...(where.file ? { file: where.file } : {}), ...(where.digest ? { digest: where.digest } : {}) });
  }

  count(severity: Severity): number {
    return this.list.filter((f) => f.severity === severity).length;
  }
}

/** Which of two non-failed outcomes wins: the stronger proof. */
const PROOF: Record<FileStatus, number> = { failed: 4, authenticated: 3, consistent: 2, 'not-covered': 1, 'not-applicable': 0 };

/**
 * Per-file outcomes. A failure sticks (any failed check fails the file); otherwise the best proof found wins (a log
 * file listed by two digests, one authenticated, is authenticated).
 */
export class FileOutcomes {
  private readonly byId = new Map<number, FileResult>();

  set(file: FileInput, role: FileRole, status: FileStatus, detail: string): void {
    const cur = this.byId.get(file.id);
    if (!cur) {
      this.byId.set(file.id, { fileId: file.id, path: file.path, role, status, detail });
      return;
    }
    if (cur.status === 'failed') {
      if (status === 'failed' && !cur.detail.includes(detail)) cur.detail = `${cur.detail}; ${detail}`;
      return;
    }
    if (PROOF[status] > PROOF[cur.status]) this.byId.set(file.id, { ...cur, role, status, detail });
  }

  get(id: number): FileResult | undefined {
    return this.byId.get(id);
  }

  all(): FileResult[] {
    return [...this.byId.values()].sort((a, b) => a.path.localeCompare(b.path) || a.fileId - b.fileId);
  }
}
