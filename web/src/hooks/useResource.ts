'use client';

import { useCallback, useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  /** Fetches again; the current data stays on screen meanwhile. */
  reload(): void;
  /** Replaces the data locally (after a change the server confirmed). */
  set(update: (data: T | null) => T | null): void;
}

/** Something fetched when the component mounts (and again on reload), cancelled when it unmounts. */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    loadRef
      .current(ctl.signal)
      .then((d) => {
        if (ctl.signal.aborted) return;
        setData(d);
        setError(null);
      })
      .catch((err) => {
        if (!ctl.signal.aborted) setError(err);
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
  }, [version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const set = useCallback((update: (d: T | null) => T | null) => setData(update), []);
  return { data, error, loading, reload, set };
}
