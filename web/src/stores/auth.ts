// The signed-in operator.
import { create } from 'zustand';
import { api, isApiError } from '@/lib/api';
import type { LoginCredentials, User } from '@/lib/types';

export type AuthStatus = 'unknown' | 'authenticated' | 'anonymous';

interface AuthState {
  status: AuthStatus;
  user: User | null;
  /**
   * Signs in; throws ApiError: 401 "unauthorized" for wrong credentials, 401
   * "second_factor_required" when a TOTP or recovery code must come with the password, 429 when locked.
   */
  login(credentials: LoginCredentials): Promise<void>;
  /** Asks the server who is signed in. */
  me(): Promise<void>;
  logout(): Promise<void>;
  /** The session ended elsewhere (a 401, a socket closed with 4401). */
  expire(): void;
  setUser(user: User): void;
}

export const useAuth = create<AuthState>()((set) => ({
  status: 'unknown',
  user: null,

  async login(credentials) {
    const { user } = await api.login(credentials);
    set({ status: 'authenticated', user });
  },

  async me() {
    try {
      const { user } = await api.me();
      set({ status: 'authenticated', user });
    } catch (err) {
      if (isApiError(err, 401)) set({ status: 'anonymous', user: null });
      else throw err;
    }
  },

  async logout() {
    try {
      await api.logout();
    } finally {
      set({ status: 'anonymous', user: null });
    }
  },

  expire() {
    set({ status: 'anonymous', user: null });
  },

  setUser(user) {
    set({ user });
  },
}));
