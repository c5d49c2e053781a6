// Package perm names the permissions every route and service checks, and
// the built-in roles. It is shared vocabulary, not a service: identity stores
// roles, the gateway and each service check the names.
package perm

// Permissions are named "resource.action". Every /api/v1 route declares one.
const (
	RequestsRead     = "requests.read"
	RequestsUpdate   = "requests.update"
	RequestsAssign   = "requests.assign"
	ContactsRead     = "contacts.read"
	PatientsReadPD   = "patients.read_pd" // see phones and e-mails unmasked
	ContactsReveal   = "contacts.reveal"  // unmask one contact on demand, audited
	UsersManage      = "users.manage"
	RolesManage      = "roles.manage"
	FormsManage      = "forms.manage"
	AuditRead        = "audit.read"
	ConsentsManage   = "consents.manage"   // record a patient's withdrawal of consent
	SubjectsManage   = "subjects.manage"   // data-subject requests: report, anonymization
	MISRead          = "mis.read"          // branches, specialties, doctors and free slots of the MIS
	AppointmentsBook = "appointments.book" // book and cancel appointments in the MIS
	CallsRead        = "calls.read"        // the call log and incoming-call pop-ups
	CallsDial        = "calls.dial"        // click-to-call through the clinic's PBX
	TasksRead        = "tasks.read"        // callbacks and other tasks
	TasksManage      = "tasks.manage"      // create, take, complete tasks
	TelephonyManage  = "telephony.manage"  // PBX integrations
	QueuesManage     = "queues.manage"     // queues, routing, working hours, lost reasons
	BoardRead        = "board.read"        // the supervisor's live board
	ContactsMerge    = "contacts.merge"    // merge two contact cards
	PatientsLink     = "patients.link"     // link a contact to an MIS patient (or register one), and unlink
	MISManage        = "mis.manage"        // the MIS connection's health, cache refresh and live check
)

// AllPermissions lists every permission Okno knows.
var AllPermissions = []string{
	RequestsRead, RequestsUpdate, RequestsAssign, ContactsRead, PatientsReadPD, ContactsReveal,
	UsersManage, RolesManage, FormsManage, AuditRead, ConsentsManage, SubjectsManage,
	MISRead, AppointmentsBook,
	CallsRead, CallsDial, TasksRead, TasksManage, TelephonyManage, QueuesManage, BoardRead, ContactsMerge,
	PatientsLink, MISManage,
}

// Added lists permissions introduced after roles were first seeded, with
// the built-in roles that receive them. Identity grants each once to the
// roles of an existing installation (an administrator may take it away
// afterwards; it is not granted again).
var Added = []Grant{
	{CallsRead, []string{"operator", "supervisor", "admin"}},
	{CallsDial, []string{"operator", "supervisor", "admin"}},
	{TasksRead, []string{"operator", "supervisor", "admin"}},
	{TasksManage, []string{"operator", "supervisor", "admin"}},
	{TelephonyManage, []string{"admin"}},
	{QueuesManage, []string{"supervisor", "admin"}},
	{BoardRead, []string{"supervisor", "admin"}},
	{ContactsMerge, []string{"supervisor", "admin"}},
	{PatientsLink, []string{"operator", "supervisor", "admin"}},
	{MISManage, []string{"admin"}},
}

// Grant gives Permission to Roles.
type Grant struct {
	Permission string
	Roles      []string
}

// Role is a named set of permissions.
type Role struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	Builtin     bool     `json:"builtin"`
}

// BuiltinRoles are created on first start; administrators may edit them later.
var BuiltinRoles = []Role{
	{ID: "operator", Name: "Оператор", Builtin: true, Permissions: []string{
		RequestsRead, RequestsUpdate, ContactsRead, ContactsReveal, ConsentsManage, MISRead, AppointmentsBook,
		CallsRead, CallsDial, TasksRead, TasksManage, PatientsLink}},
	{ID: "supervisor", Name: "Старший оператор", Builtin: true, Permissions: []string{
		RequestsRead, RequestsUpdate, RequestsAssign, ContactsRead, PatientsReadPD, ContactsReveal, ConsentsManage,
		MISRead, AppointmentsBook, CallsRead, CallsDial, TasksRead, TasksManage, QueuesManage, BoardRead, ContactsMerge,
		PatientsLink}},
	// The administrator holds every permission but the security officer's,
	// so that they can assign the operators' and supervisors' roles (nobody
	// grants more than they hold) yet cannot read the audit of their own
	// actions. Security officers are created from the server console
	// (okno user create --role security_officer) or by a security officer.
	{ID: "admin", Name: "Администратор", Builtin: true, Permissions: []string{
		RequestsRead, RequestsUpdate, RequestsAssign, ContactsRead, PatientsReadPD, ContactsReveal, ConsentsManage,
		UsersManage, RolesManage, FormsManage, MISRead, AppointmentsBook,
		CallsRead, CallsDial, TasksRead, TasksManage, TelephonyManage, QueuesManage, BoardRead, ContactsMerge,
		PatientsLink, MISManage}},
	{ID: "security_officer", Name: "Офицер безопасности", Builtin: true, Permissions: []string{
		AuditRead, ContactsRead, ConsentsManage, SubjectsManage}},
}
