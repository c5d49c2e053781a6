package contactcenter

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/httpapi"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/telephony"
)

// MaxWebhookBody is the largest PBX delivery accepted.
const MaxWebhookBody = 64 << 10

// routesCallCenter adds the calls, tasks, queues and pipeline routes.
func (s *Service) routesCallCenter(mux *http.ServeMux) {
	mux.HandleFunc("POST /telephony/webhooks/{key}", s.handleWebhook)
	mux.HandleFunc("POST /telephony/webhooks/{key}/{rest...}", s.handleWebhook)
	mux.HandleFunc("GET /telephony/webhooks/{key}", s.handleWebhookEcho)
	mux.HandleFunc("GET /telephony/integrations", principal.Require(perm.TelephonyManage, s.handleListPBX))
	mux.HandleFunc("POST /telephony/integrations", principal.Require(perm.TelephonyManage, s.handleCreatePBX))
	mux.HandleFunc("PATCH /telephony/integrations/{id}", principal.Require(perm.TelephonyManage, s.handleUpdatePBX))

	mux.HandleFunc("GET /calls", principal.Require(perm.CallsRead, s.handleListCalls))
	mux.HandleFunc("GET /calls/{id}/popup", principal.Require(perm.CallsRead, s.handleCallPopup))
	mux.HandleFunc("POST /calls/dial", principal.Require(perm.CallsDial, s.handleDial))

	mux.HandleFunc("GET /tasks", principal.Require(perm.TasksRead, s.handleListTasks))
	mux.HandleFunc("POST /tasks", principal.Require(perm.TasksManage, s.handleCreateTask))
	mux.HandleFunc("PATCH /tasks/{id}", principal.Require(perm.TasksManage, s.handleUpdateTask))

	mux.HandleFunc("GET /operators", principal.Require(perm.RequestsRead, s.handleRoster))
	mux.HandleFunc("PUT /presence", principal.Require(perm.RequestsRead, s.handlePresence))
	mux.HandleFunc("PUT /operators/{id}/extension", principal.Require(perm.QueuesManage, s.handleExtension))

	mux.HandleFunc("GET /queues", principal.Require(perm.RequestsRead, s.handleListQueues))
	mux.HandleFunc("POST /queues", principal.Require(perm.QueuesManage, s.handleSaveQueue))
	mux.HandleFunc("PUT /queues/{id}", principal.Require(perm.QueuesManage, s.handleSaveQueue))
	mux.HandleFunc("GET /routing-rules", principal.Require(perm.QueuesManage, s.handleListRules))
	mux.HandleFunc("PUT /routing-rules", principal.Require(perm.QueuesManage, s.handleSaveRules))
	mux.HandleFunc("GET /lost-reasons", principal.Require(perm.RequestsRead, s.handleListLostReasons))
	mux.HandleFunc("PUT /lost-reasons", principal.Require(perm.QueuesManage, s.handleSaveLostReasons))

	mux.HandleFunc("POST /requests", principal.Require(perm.RequestsUpdate, s.handleCreateRequest))
	mux.HandleFunc("PATCH /requests/{id}", principal.Require(perm.RequestsUpdate, s.handleUpdateRequest))
	mux.HandleFunc("GET /requests/{id}/trail", principal.Require(perm.RequestsRead, s.handleTrail))
	mux.HandleFunc("POST /requests/{id}/comments", principal.Require(perm.RequestsUpdate, s.handleComment))
	mux.HandleFunc("POST /requests/{id}/merge", principal.Require(perm.RequestsUpdate, s.handleMergeRequests))

	mux.HandleFunc("GET /contacts/{id}/card", principal.Require(perm.ContactsRead, s.handleContactCard))
	mux.HandleFunc("POST /contacts/{id}/merge", principal.Require(perm.ContactsMerge, s.handleMergeContacts))
	mux.HandleFunc("GET /board", principal.Require(perm.BoardRead, s.handleBoard))
}

// decodeJSON reads a small JSON body strictly.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			problem.Write(w, r, problem.Field(te.Field, "has the wrong type"))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			problem.Write(w, r, problem.Field(f, "unknown field"))
		case errors.As(err, &se), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			problem.Write(w, r, problem.New(problem.Malformed, "the body is not a JSON object"))
		default:
			problem.Write(w, r, problem.New(problem.Malformed, "the body could not be read"))
		}
		return false
	}
	return true
}

func validID(w http.ResponseWriter, r *http.Request, notFound string) (string, bool) {
	id := r.PathValue("id")
	if !ids.Valid(id) {
		problem.Write(w, r, problem.New(problem.NotFound, notFound))
		return "", false
	}
	return id, true
}

// handleWebhook takes a PBX's signed delivery. Nothing is stored unless the
// signature checks; a replay (same delivery id) is answered 200 and
// changes nothing; an integration without a secret refuses everything.
func (s *Service) handleWebhook(w http.ResponseWriter, r *http.Request) {
	p, err := s.PBXByWebhookKey(r.Context(), r.PathValue("key"))
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		problem.Write(w, r, problem.New(problem.TooLarge, "the delivery is larger than 64 KiB"))
		return
	}
	var ev telephony.Event
	switch {
	case p.secret == "":
		err = telephony.ErrSignature
	case p.Kind == PBXGeneric:
		v := telephony.NewStandardWebhooks(p.secret)
		v.Now = s.Now
		ev, err = v.Parse(r.Header, body)
	case p.Kind == PBXMango:
		var form url.Values
		if form, err = url.ParseQuery(string(body)); err != nil {
			err = telephony.ErrSignature
			break
		}
		kind := strings.TrimPrefix(r.PathValue("rest"), "events/")
		ev, err = (&telephony.Mango{APIKey: p.Settings.MangoAPIKey, Salt: p.secret}).Parse(kind, form)
	case p.Kind == PBXZadarma:
		var form url.Values
		if form, err = url.ParseQuery(string(body)); err != nil {
			err = telephony.ErrSignature
			break
		}
		ev, err = (&telephony.Zadarma{Secret: p.secret, Now: s.Now}).Parse(r.Header, form)
	default:
		problem.Write(w, r, problem.New(problem.NotFound, "no such webhook"))
		return
	}
	var fe *telephony.FieldError
	switch {
	case telephony.IsSignatureError(err):
		problem.Write(w, r, problem.New(problem.Unauthorized, "the delivery is not signed with this integration's secret"))
		return
	case errors.Is(err, telephony.ErrIgnored):
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"ignored": true})
		return
	case errors.As(err, &fe):
		problem.Write(w, r, problem.Field(fe.Field, fe.Reason))
		return
	case err != nil:
		problem.Write(w, r, problem.New(problem.Malformed, "the delivery could not be read"))
		return
	}
	dup, err := s.IngestCallEvent(r.Context(), p, ev)
	reply(w, r, http.StatusOK, map[string]any{"stored": !dup, "duplicate": dup}, err)
}

// handleWebhookEcho answers Zadarma's check of a new notification address
// (GET ?zd_echo=…), which is not signed.
func (s *Service) handleWebhookEcho(w http.ResponseWriter, r *http.Request) {
	p, err := s.PBXByWebhookKey(r.Context(), r.PathValue("key"))
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	echo, ok := telephony.ZadarmaEcho(r.URL.Query())
	if p.Kind != PBXZadarma || !ok {
		problem.Write(w, r, problem.New(problem.NotFound, "no such webhook"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, echo)
}

func (s *Service) handleListPBX(w http.ResponseWriter, r *http.Request) {
	list, err := s.ListPBX(r.Context())
	reply(w, r, http.StatusOK, map[string]any{"items": list}, err)
}

func (s *Service) handleCreatePBX(w http.ResponseWriter, r *http.Request) {
	var in NewPBX
	if !decodeJSON(w, r, &in) {
		return
	}
	p := principal.From(r.Context())
	out, err := s.CreatePBX(r.Context(), p.UserID, in)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "telephony.integration.create", ObjectType: "pbx_integration", ObjectID: out.ID,
		Details: map[string]string{"kind": out.Kind}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusCreated, out)
}

func (s *Service) handleUpdatePBX(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such PBX integration")
	if !ok {
		return
	}
	var in PBXPatch
	if !decodeJSON(w, r, &in) {
		return
	}
	out, err := s.UpdatePBX(r.Context(), id, in)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	details := map[string]string{"secret_changed": strconv.FormatBool(in.Secret != nil)}
	if err := s.audit(r.Context(), principal.From(r.Context()), auditlog.Record{Action: "telephony.integration.update", ObjectType: "pbx_integration", ObjectID: id, Details: details}); err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, out)
}

func listLimit(q url.Values, fe *[]problem.FieldError) int {
	l := q.Get("limit")
	if l == "" {
		return 50
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > 200 {
		*fe = append(*fe, problem.FieldError{Field: "limit", Message: "must be a number from 1 to 200"})
	}
	return n
}

func idList(q url.Values, fe *[]problem.FieldError) []string {
	v := q.Get("ids")
	if v == "" {
		return nil
	}
	list := strings.Split(v, ",")
	if len(list) > 200 {
		*fe = append(*fe, problem.FieldError{Field: "ids", Message: "at most 200 ids"})
	}
	for _, id := range list {
		if !ids.Valid(id) {
			*fe = append(*fe, problem.FieldError{Field: "ids", Message: "must be ids separated by commas"})
			break
		}
	}
	return list
}

func (s *Service) handleListCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var fe []problem.FieldError
	f := CallFilter{Direction: q.Get("direction"), Result: q.Get("result"), ContactID: q.Get("contact_id"), Before: q.Get("cursor")}
	f.Limit = listLimit(q, &fe)
	f.IDs = idList(q, &fe)
	if f.Direction != "" && f.Direction != telephony.Inbound && f.Direction != telephony.Outbound {
		fe = append(fe, problem.FieldError{Field: "direction", Message: "must be inbound or outbound"})
	}
	if f.Result != "" && !slices.Contains([]string{telephony.ResultAnswered, telephony.ResultMissed, telephony.ResultAbandoned}, f.Result) {
		fe = append(fe, problem.FieldError{Field: "result", Message: "must be answered, missed or abandoned"})
	}
	if f.ContactID != "" && !ids.Valid(f.ContactID) {
		fe = append(fe, problem.FieldError{Field: "contact_id", Message: "not a contact id"})
	}
	if f.Before != "" && !ids.Valid(f.Before) {
		fe = append(fe, problem.FieldError{Field: "cursor", Message: "is not a cursor this API gave"})
	}
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	items, next, err := s.FindCalls(r.Context(), f)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	p := principal.From(r.Context())
	shown := make([]string, len(items))
	for i := range items {
		callForViewer(p, &items[i])
		shown[i] = items[i].ID
	}
	if err := s.auditList(r, "call", callFields(p), shown); err != nil {
		problem.Write(w, r, err)
		return
	}
	writePage(w, items, next)
}

func (s *Service) handleCallPopup(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such call")
	if !ok {
		return
	}
	p := principal.From(r.Context())
	pop, err := s.Popup(r.Context(), p, id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "call.popup", ObjectType: "call", ObjectID: id, Fields: callFields(p),
		Details: map[string]string{"contact_id": pop.Call.ContactID()}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, pop)
}

func (s *Service) handleDial(w http.ResponseWriter, r *http.Request) {
	var in DialInput
	if !decodeJSON(w, r, &in) {
		return
	}
	p := principal.From(r.Context())
	if err := s.Dial(r.Context(), p.UserID, in); err != nil {
		problem.Write(w, r, err)
		return
	}
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "call.dial", ObjectType: "contact", ObjectID: in.ContactID}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"placed": true})
}

func (s *Service) handleListTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var fe []problem.FieldError
	p := principal.From(r.Context())
	f := TaskFilter{Kind: q.Get("kind"), Status: q.Get("status"), Queue: q.Get("queue"), Request: q.Get("request_id"), Before: q.Get("cursor"), Overdue: q.Get("overdue") == "true"}
	f.Limit = listLimit(q, &fe)
	f.IDs = idList(q, &fe)
	switch a := q.Get("assignee"); a {
	case "":
	case "me":
		f.Assignee = p.UserID
	default:
		if !ids.Valid(a) {
			fe = append(fe, problem.FieldError{Field: "assignee", Message: "must be me or a user id"})
		}
		f.Assignee = a
	}
	if f.Kind != "" && !slices.Contains(TaskKinds, f.Kind) {
		fe = append(fe, problem.FieldError{Field: "kind", Message: fmt.Sprintf("must be one of %s", strings.Join(TaskKinds, ", "))})
	}
	if f.Status != "" && !slices.Contains([]string{TaskOpen, TaskDone, TaskCancelled}, f.Status) {
		fe = append(fe, problem.FieldError{Field: "status", Message: "must be open, done or cancelled"})
	}
	if f.Queue != "" && !ids.Valid(f.Queue) {
		fe = append(fe, problem.FieldError{Field: "queue", Message: "not a queue id"})
	}
	if f.Request != "" && !ids.Valid(f.Request) {
		fe = append(fe, problem.FieldError{Field: "request_id", Message: "not a request id"})
	}
	if f.Before != "" && !ids.Valid(f.Before) {
		fe = append(fe, problem.FieldError{Field: "cursor", Message: "is not a cursor this API gave"})
	}
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	items, next, err := s.FindTasks(r.Context(), f)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	shown := make([]string, 0, len(items))
	for i := range items {
		if items[i].Contact != nil {
			forViewer(p, items[i].Contact)
		}
		shown = append(shown, items[i].ID)
	}
	if err := s.auditList(r, "task", viewedFields(p), shown); err != nil {
		problem.Write(w, r, err)
		return
	}
	writePage(w, items, next)
}

func (s *Service) handleCreateTask(w http.ResponseWriter, r *http.Request) {
	var in NewTask
	if !decodeJSON(w, r, &in) {
		return
	}
	t, err := s.CreateTask(r.Context(), principal.From(r.Context()).UserID, in)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if t.Contact != nil {
		forViewer(principal.From(r.Context()), t.Contact)
	}
	httpapi.WriteJSON(w, http.StatusCreated, t)
}

func (s *Service) handleUpdateTask(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such task")
	if !ok {
		return
	}
	var in TaskChange
	if !decodeJSON(w, r, &in) {
		return
	}
	t, err := s.UpdateTask(r.Context(), principal.From(r.Context()).UserID, id, in)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if t.Contact != nil {
		forViewer(principal.From(r.Context()), t.Contact)
	}
	httpapi.WriteJSON(w, http.StatusOK, t)
}

func (s *Service) handleRoster(w http.ResponseWriter, r *http.Request) {
	list, err := s.Roster(r.Context())
	reply(w, r, http.StatusOK, map[string]any{"items": list}, err)
}

func (s *Service) handlePresence(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Presence string `json:"presence"`
		// If makes the change conditional on the stored presence (see
		// SetPresence).
		If string `json:"if"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	now, err := s.SetPresence(r.Context(), principal.From(r.Context()).UserID, in.Presence, in.If)
	reply(w, r, http.StatusOK, map[string]string{"presence": now}, err)
}

func (s *Service) handleExtension(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such operator")
	if !ok {
		return
	}
	var in struct {
		Extension string `json:"extension"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.SetExtension(r.Context(), id, in.Extension); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, in)
}

func (s *Service) handleListQueues(w http.ResponseWriter, r *http.Request) {
	list, err := s.Queues(r.Context())
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if list == nil {
		list = []Queue{}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Service) handleSaveQueue(w http.ResponseWriter, r *http.Request) {
	id := ""
	if r.Method == http.MethodPut {
		var ok bool
		if id, ok = validID(w, r, "no such queue"); !ok {
			return
		}
	}
	var in QueueInput
	if !decodeJSON(w, r, &in) {
		return
	}
	q, err := s.SaveQueue(r.Context(), id, in)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	status := http.StatusOK
	if id == "" {
		status = http.StatusCreated
	}
	httpapi.WriteJSON(w, status, q)
}

func (s *Service) handleListRules(w http.ResponseWriter, r *http.Request) {
	list, err := s.RoutingRules(r.Context())
	reply(w, r, http.StatusOK, map[string]any{"rules": list}, err)
}

func (s *Service) handleSaveRules(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Rules []RoutingRule `json:"rules"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	list, err := s.ReplaceRoutingRules(r.Context(), in.Rules)
	reply(w, r, http.StatusOK, map[string]any{"rules": list}, err)
}

func (s *Service) handleListLostReasons(w http.ResponseWriter, r *http.Request) {
	list, err := s.LostReasons(r.Context())
	reply(w, r, http.StatusOK, map[string]any{"reasons": list}, err)
}

func (s *Service) handleSaveLostReasons(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reasons []LostReason `json:"reasons"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	list, err := s.SaveLostReasons(r.Context(), in.Reasons)
	reply(w, r, http.StatusOK, map[string]any{"reasons": list}, err)
}

func (s *Service) handleCreateRequest(w http.ResponseWriter, r *http.Request) {
	var in NewRequest
	if !decodeJSON(w, r, &in) {
		return
	}
	p := principal.From(r.Context())
	id, err := s.CreateRequest(r.Context(), p.UserID, in)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	req, err := s.FindRequestByID(r.Context(), id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	forViewer(p, &req.Contact)
	httpapi.WriteJSON(w, http.StatusCreated, req)
}

func (s *Service) handleUpdateRequest(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such request")
	if !ok {
		return
	}
	var in RequestChange
	if !decodeJSON(w, r, &in) {
		return
	}
	p := principal.From(r.Context())
	if in.AssigneeID != nil && *in.AssigneeID != p.UserID && !p.Can(perm.RequestsAssign) {
		problem.Write(w, r, problem.Newf(problem.Forbidden, "assigning a request to someone else needs the permission %s", perm.RequestsAssign))
		return
	}
	if err := s.UpdateRequest(r.Context(), p.UserID, id, in); err != nil {
		problem.Write(w, r, err)
		return
	}
	req, err := s.FindRequestByID(r.Context(), id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	forViewer(p, &req.Contact)
	httpapi.WriteJSON(w, http.StatusOK, req)
}

func (s *Service) handleTrail(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such request")
	if !ok {
		return
	}
	t, err := s.Trail(r.Context(), id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if err := s.audit(r.Context(), principal.From(r.Context()), auditlog.Record{Action: "request.trail", ObjectType: "request", ObjectID: id,
		Fields: []string{"comments", "history"}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, t)
}

func (s *Service) handleComment(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such request")
	if !ok {
		return
	}
	var in struct {
		Body string `json:"body"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	c, err := s.AddComment(r.Context(), principal.From(r.Context()).UserID, id, in.Body)
	reply(w, r, http.StatusCreated, c, err)
}

func (s *Service) handleMergeRequests(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such request")
	if !ok {
		return
	}
	var in struct {
		Into string `json:"into"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	if err := s.MergeRequests(r.Context(), principal.From(r.Context()).UserID, id, in.Into); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"merged": id, "into": in.Into})
}

func (s *Service) handleContactCard(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such contact")
	if !ok {
		return
	}
	p := principal.From(r.Context())
	card, err := s.ContactCard(r.Context(), p, id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	fields := []string{"name", "phones", "emails", "timeline"}
	if !p.Can(perm.PatientsReadPD) {
		fields = []string{"name", "phones.masked", "emails.masked", "timeline"}
	}
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "contact.card", ObjectType: "contact", ObjectID: id, Fields: fields}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, card)
}

func (s *Service) handleMergeContacts(w http.ResponseWriter, r *http.Request) {
	id, ok := validID(w, r, "no such contact")
	if !ok {
		return
	}
	var in struct {
		Into string `json:"into"`
	}
	if !decodeJSON(w, r, &in) {
		return
	}
	p := principal.From(r.Context())
	if err := s.MergeContacts(r.Context(), p.UserID, id, in.Into); err != nil {
		problem.Write(w, r, err)
		return
	}
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "contact.merge", ObjectType: "contact", ObjectID: in.Into,
		Details: map[string]string{"merged": id}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"merged": id, "into": in.Into})
}

func (s *Service) handleBoard(w http.ResponseWriter, r *http.Request) {
	b, err := s.Board(r.Context())
	reply(w, r, http.StatusOK, b, err)
}

// auditList records that the caller was shown a page of objects; a page
// fetched by the gateway to push live is recorded as a push.
func (s *Service) auditList(r *http.Request, object string, fields, shown []string) error {
	if len(shown) == 0 {
		return nil
	}
	p := principal.From(r.Context())
	action := object + ".list"
	if p.UserID == "system" {
		action = object + ".push"
	}
	return s.audit(r.Context(), p, auditlog.Record{Action: action, ObjectType: object, Fields: fields,
		Details: map[string]string{"count": strconv.Itoa(len(shown)), "ids": strings.Join(shown, ",")}})
}

// writePage answers a page of a list with the next page's cursor (null on
// the last page).
func writePage[T any](w http.ResponseWriter, items []T, next string) {
	var cursor *string
	if next != "" {
		cursor = &next
	}
	httpapi.WriteJSON(w, http.StatusOK, struct {
		Items      []T     `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}{items, cursor})
}

// parseTime reads an RFC 3339 time from a query parameter.
func parseTime(q url.Values, name string, fe *[]problem.FieldError) time.Time {
	v := q.Get(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		*fe = append(*fe, problem.FieldError{Field: name, Message: "must be an RFC 3339 time"})
	}
	return t
}

// reply answers with v as JSON, or with the problem when err is set.
func reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, status, v)
}
