// Package telephony turns what PBXs report into one call Event type:
// Standard Webhooks-signed generic JSON, Mango Office VPBX, Zadarma and the
// Asterisk Manager Interface. It verifies and parses; it stores nothing.
// De-duplicating by Event.ID (keep the record at least 7 days: providers
// retry for days), keeping the highest Seq per (CallID, Leg), linking numbers
// to contacts and answering HTTP are the contact center's.
//
// A call's first event may be any type (a Mango call straight to an
// extension starts with call.ringing; a call found by an AMI resync starts
// with call.started at an estimated time): treat the first event of an
// unknown CallID as its start.
//
// # Generic webhook (Standard Webhooks)
//
// Headers webhook-id, webhook-timestamp (Unix seconds, ±5 minutes) and
// webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>", several
// separated by spaces during a secret rotation); secret "whsec_<base64>".
// Body:
//
//	{"type": "call.started" | "call.ringing" | "call.answered" | "call.ended" | "call.recording_ready",
//	 "call_id": "…", "direction": "inbound" | "outbound", "from": "…", "to": "…",
//	 "extension": "…", "at": "2026-03-02T09:15:00+03:00",
//	 "result": "answered" | "missed" | "abandoned", "recording_url": "https://…"}
//
// direction is required on call.started, result on call.ended (only
// there), recording_url on call.recording_ready. Event.ID is webhook-id.
//
// # Mango Office VPBX
//
// Form fields vpbx_api_key, sign = hex(sha256(vpbx_api_key + json +
// vpbx_api_salt)), json. Sources: "API Mango Office" v1.9 (the PDF, its
// examples of events/call), as quoted in public repositories. Where the
// documentation is thin, this package decides:
//   - seq and timestamp are integers in the field tables but JSON strings in
//     the documentation's own examples; both are accepted (so are extensions
//     sent as numbers).
//   - timestamps are described as "UTC+3"; they are read as Unix seconds,
//     which have no zone.
//   - events/call has no direction field: from.extension without
//     to.extension is outbound, a command_id marks a leg of our own
//     commands/callback (outbound), both extensions without from.number is
//     an internal call (no direction), anything else inbound.
//   - seq counts per call_id (a leg), not per entry_id (the call): Event.Leg
//     carries call_id, Event.CallID is entry_id, which events/summary shares.
//   - a leg's Disconnected and OnHold give ErrIgnored; the call ends with
//     events/summary, whose entry_result (1/0) cannot tell a caller who gave
//     up in a queue from one nobody answered: both are "missed".
//   - the documentation does not say whether deliveries are retried or how
//     long; de-duplicate by Event.ID regardless.
//
// # Zadarma
//
// Header Signature = base64 of the hex text of HMAC-SHA1(secret, s), where s
// concatenates, per event (Zadarma's user-api-v1, lib/Webhook/Notify*.php):
// NOTIFY_START, NOTIFY_INTERNAL, NOTIFY_END: caller_id + called_did +
// call_start; NOTIFY_ANSWER: caller_id + destination + call_start;
// NOTIFY_OUT_START, NOTIFY_OUT_END: internal + destination + call_start;
// NOTIFY_RECORD: pbx_call_id + call_id_with_rec. Gaps: the signature does
// not cover disposition, duration or internal, so a replayed NOTIFY_END with
// a changed disposition verifies (de-duplicating by Event.ID, which is per
// event and call, keeps the first); call_start is written in the account's
// time zone, which is a setting (Zadarma.Location, Moscow by default);
// NOTIFY_RECORD carries no time, so it is stamped on receipt; recordings
// come as call_id_with_rec (Event.RecordingID), fetched through the API
// (pbx/record/request). GET ?zd_echo=… must echo the token (ZadarmaEcho).
//
// # Asterisk AMI
//
// AMIClient logs in, maps Newchannel (call.started; direction from whether
// the caller is an extension), DialBegin (call.ringing per extension),
// DialEnd ANSWER or a two-channel BridgeEnter (call.answered),
// QueueCallerAbandon and the Hangup of the call's first channel (Uniqueid
// == Linkedid: call.ended) per Linkedid; a Cdr ends a call only if its
// Hangup was missed. After each login it sends CoreShowChannels and, when
// the list completes, ends the calls it tracked that have no channel left
// and starts (and answers, when bridged) the calls it did not know. Calls
// that began and ended while disconnected are not seen: backfill them from
// the CDR database when that matters. Events carry the AMI Timestamp when
// the manager has timestampevents=yes, else the time of receipt. Originate
// sends Async: true and returns once the call is queued; values with line
// breaks are refused.
package telephony
