import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AppState, Reference, Warning } from './api';

export type Route =
  | { name: 'home' }
  | { name: 'inspection'; id?: string } // with `id`: the user's draft or sent-back inspection, to edit
  | { name: 'asset'; id?: string } // with `id`: a survey sent back for changes
  | { name: 'fee' }
  | { name: 'jobs' }
  | { name: 'new-job' }
  | { name: 'trips' }
  | { name: 'review' }
  | { name: 'day-end' }
  | { name: 'record'; id: string; notice?: string; warnings?: Warning[] };

export interface Ctx {
  state: AppState;
  reference: Reference | null;
  /** Open a screen; `replace` drops the current one from the back stack (after a save). */
  go: (route: Route, replace?: boolean) => void;
  back: () => void;
  /** Ask the sync bar to refresh now (after a save). */
  syncChanged: () => void;
  /** Grows each time a sync brought or confirmed changes: screens showing records reload. */
  synced: number;
}

export const AppCtx = createContext<Ctx | null>(null);

export function useApp(): Ctx {
  const c = useContext(AppCtx);
  if (!c) throw new Error('no app context');
  return c;
}
