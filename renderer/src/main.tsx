/**
 * Start-up: pick the transport (Electron's preload bridge, or the loopback server with the access token from the
 * URL), build the client, render. Nothing below this file knows which transport it got.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { createClient, type Transport } from './api/client';
import { electronTransport, httpTransport } from './api/transports';
import { takeToken } from './api/token';
import { App } from './ui/App';
import { ClientContext } from './ui/client-context';

function pickTransport(): { transport: Transport; mode: 'electron' | 'browser' } | null {
  if (window.podtrail) return { transport: electronTransport(window.podtrail), mode: 'electron' };
  const token = takeToken(window);
  return token ? { transport: httpTransport({ token }), mode: 'browser' } : null;
}

const root = createRoot(document.getElementById('root')!);
const picked = pickTransport();
if (!picked) {
  root.render(
    <div className="fatal">
      <h1>PodTrail</h1>
      <p>This page needs the access token from the URL that <code>podtrail serve</code> printed. Open that URL (it ends in <code>?token=…</code>).</p>
    </div>,
  );
} else {
  const client = createClient(picked.transport);
  root.render(
    <StrictMode>
      <ClientContext.Provider value={client}>
        <App mode={picked.mode} />
      </ClientContext.Provider>
    </StrictMode>,
  );
}
