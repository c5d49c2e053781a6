// Appointments this window booked, cancelled or moved in this session, by contact id. The card
// fetches the contact's list again after each change; these fill in while it is on its way, or
// when the MIS cannot answer it.
import { create } from 'zustand';
import type { ContactAppointment } from '@/lib/types';

interface BookingsState {
  byContact: Record<string, ContactAppointment[]>;
  /** Remembers an appointment (or its new version) for a contact. */
  put(contactId: string, appointment: ContactAppointment): void;
  /** Forgets one (an appointment moved under a new id). */
  drop(contactId: string, appointmentId: string): void;
}

export const useBookings = create<BookingsState>()((set) => ({
  byContact: {},
  put(contactId, appointment) {
    set((s) => {
      const list = (s.byContact[contactId] ?? []).filter((a) => a.id !== appointment.id);
      return { byContact: { ...s.byContact, [contactId]: [...list, appointment] } };
    });
  },
  drop(contactId, appointmentId) {
    set((s) => ({ byContact: { ...s.byContact, [contactId]: (s.byContact[contactId] ?? []).filter((a) => a.id !== appointmentId) } }));
  },
}));
