import { createContext, useContext } from 'react';
import type { Client } from '../api/client';

export const ClientContext = createContext<Client | null>(null);

export function useClient(): Client {
  const c = useContext(ClientContext);
  if (!c) throw new Error('no API client: render inside <ClientContext.Provider>');
  return c;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
