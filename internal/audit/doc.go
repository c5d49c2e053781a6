// Package audit is Okno's audit service. It files the security records that
// the other services emit through auditlog (subjects "<service>.audit.recorded")
// in its own database, as a hash chain: each record's hash covers the hash
// of the one before it, so changing, removing or reordering a stored record
// breaks the chain from that record on, and Verify finds where.
//
// The chain proves the records were not altered after filing; it cannot by
// itself reveal that the newest records were cut off, or that the whole
// chain was rewritten by someone who can write to the database. Keeping a
// copy of the head hash elsewhere (an export, a printed report) closes that.
package audit
