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
)

// AllPermissions lists every permission Okno knows.
var AllPermissions = []string{
	RequestsRead, RequestsUpdate, RequestsAssign, ContactsRead, PatientsReadPD, ContactsReveal,
	UsersManage, RolesManage, FormsManage, AuditRead, ConsentsManage, SubjectsManage,
	MISRead, AppointmentsBook,
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
		RequestsRead, RequestsUpdate, ContactsRead, ContactsReveal, ConsentsManage, MISRead, AppointmentsBook}},
	{ID: "supervisor", Name: "Старший оператор", Builtin: true, Permissions: []string{
		RequestsRead, RequestsUpdate, RequestsAssign, ContactsRead, PatientsReadPD, ContactsReveal, ConsentsManage,
		MISRead, AppointmentsBook}},
	// The administrator holds every permission but the security officer's,
	// so that they can assign the operators' and supervisors' roles (nobody
	// grants more than they hold) yet cannot read the audit of their own
	// actions. Security officers are created from the server console
	// (okno user create --role security_officer) or by a security officer.
	{ID: "admin", Name: "Администратор", Builtin: true, Permissions: []string{
		RequestsRead, RequestsUpdate, RequestsAssign, ContactsRead, PatientsReadPD, ContactsReveal, ConsentsManage,
		UsersManage, RolesManage, FormsManage, MISRead, AppointmentsBook}},
	{ID: "security_officer", Name: "Офицер безопасности", Builtin: true, Permissions: []string{
		AuditRead, ContactsRead, ConsentsManage, SubjectsManage}},
}
