// Package mis is the mis service: Okno's side of the clinic's Medical
// Information System. It declares the Client an MIS adapter implements (in
// our own words: branches, specialties, doctors and their roles, services
// with prices, free slots, booking and cancelling), the FHIR R4 adapter
// (FHIRClient, with time-outs, response validation and a circuit breaker),
// a cache of the reference data in its own database, and the bookings made
// from Okno with their events and audit records.
//
// Free slots are never cached: they are read from the MIS on every search
// and once more, with the slot's version, when booking.
package mis
