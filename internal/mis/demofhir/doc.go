// Package demofhir is Okno's built-in demo MIS: an in-memory HL7 FHIR R4 server for the
// scheduling subset Okno's MIS integration uses, with a generated, realistic clinic in
// Yekaterinburg (four branches, fifteen specialties, forty doctors, two weeks of 15- and
// 30-minute slots on working days 8:00–20:00, three dozen patients).
//
// It is a demo and a test peer, not a product: `okno run --demo` mounts it at /demo/fhir so the
// demo exercises the real FHIR adapter over HTTP, and the adapter's contract suite runs against
// it (and against a third-party FHIR server, so it cannot drift from real FHIR). Nothing is
// persisted, there is no authentication, and the data is made up. Do not point production at it.
//
// The same seed, start date and clock always produce the same clinic, ids included.
//
// # What it serves
//
// The handler expects paths relative to the FHIR base (mount it with http.StripPrefix):
//
//	GET  /metadata                      CapabilityStatement
//	GET  /{type}/{id}                   read (ETag: W/"versionId", Last-Modified)
//	GET  /{type}?…                      search: searchset Bundle with total and self/next/previous links
//	POST /Patient                       create; If-None-Exist: conditional create (0 → 201, 1 → 200 existing, >1 → 412)
//	POST /Appointment                   book one free Slot (the Slot becomes busy)
//	PUT  /Appointment/{id}              update: status cancelled or entered-in-error frees the slot; a new slot reference reschedules
//
// Search parameters (unknown parameters are refused with 400 rather than ignored, so a client
// cannot silently rely on a filter the server does not apply): _id, _lastUpdated, _count,
// _sort, _offset on every type, and
//
//	Patient            phone, telecom, identifier, name, family, given, birthdate
//	Practitioner       name, family, given, identifier, active
//	PractitionerRole   specialty, location, practitioner, service, active
//	Location           name, address-city, status
//	HealthcareService  specialty, location, name, active
//	Schedule           actor, specialty, active
//	Slot               schedule, status, start, specialty, schedule.actor
//	Appointment        patient, actor, practitioner, location, slot, status, date
//
// Token parameters take code, system|code or |code; reference parameters take Type/id or id;
// date parameters take the prefixes eq, ne, gt, ge, lt, le with date or dateTime values (a date
// without a zone is a Yekaterinburg day); comma-separated values are OR, repeated parameters
// are AND. _sort takes start (Slot, Appointment), date (Appointment), _lastUpdated and _id, each
// optionally with "-". _offset is the paging cursor of the next and previous links: clients
// follow the links and must treat it as opaque.
//
// # Race-safe booking
//
// Booking is a check-and-set under the server's single write lock: POST /Appointment reads the
// referenced Slot, refuses it unless it is free, marks it busy (new versionId) and stores the
// Appointment in one critical section, so of any number of concurrent bookings of one slot
// exactly one gets 201 and the others 409 Conflict with an OperationOutcome. A client that read
// the Slot may also send `If-Match: W/"<Slot versionId>"` with POST /Appointment; it is checked
// against the Slot the Appointment references (not the new Appointment), and a stale version
// gets 412 Precondition Failed — "the slot changed since you looked". The CapabilityStatement
// documents this on the Appointment resource. PUT /Appointment/{id} takes If-Match against the
// Appointment's own version.
//
// # Change feed
//
// Every write operation stamps meta.lastUpdated from the injected clock (the Slot and the
// Appointment of one booking share the stamp), strictly increasing from one operation to the
// next (one in the same millisecond as the previous is stamped a millisecond later), and a
// search runs under the read lock, so polling
// GET /Appointment?_lastUpdated=gt<last seen>&_sort=_lastUpdated loses no change.
package demofhir
