/**
 * When the engine stops answering (the `podtrail serve` process stopped, the app's engine died): one clear message
 * and a Retry that reads the case again — instead of the transport's "Failed to fetch" in every panel.
 */
import { useState } from 'react';

export function OfflineBanner({ message, onRetry }: { message: string; onRetry: () => Promise<boolean> }) {
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(0);
  return (
    <div className="offline" role="alert" data-testid="offline-banner">
      <strong>Not connected.</strong> <span data-testid="offline-message">{message}</span>
      {failed > 0 && <span className="muted small" data-testid="offline-retries"> (still not answering after {failed} {failed === 1 ? 'retry' : 'retries'})</span>}
      <button
        type="button"
        className="btn small primary"
        data-testid="offline-retry"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          void onRetry().then((ok) => {
            setBusy(false);
            if (!ok) setFailed((n) => n + 1);
          });
        }}
      >
        {busy ? 'retrying…' : 'Retry'}
      </button>
    </div>
  );
}
