// Appointments booked from the window in this session, by request id (no list endpoint yet).
import { create } from 'zustand';
import type { Appointment } from '@/lib/types';

interface BookingsState {
  byRequest: Record<string, Appointment>;
  /** Remembers a booking (or its cancelled version) for a request. */
  put(requestId: string, appointment: Appointment): void;
  forget(requestId: string): void;
}

export const useBookings = create<BookingsState>()((set) => ({
  byRequest: {},
  put(requestId, appointment) {
    set((s) => ({ byRequest: { ...s.byRequest, [requestId]: appointment } }));
  },
  forget(requestId) {
    set((s) => {
      const { [requestId]: _gone, ...rest } = s.byRequest;
      return { byRequest: rest };
    });
  },
}));
