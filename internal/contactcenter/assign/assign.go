// Package assign chooses the operator who gets the next item (a request, a
// missed call, a task) of a contact-center queue. It is pure: the caller
// reads the queue's members, their presence and open load, calls Pick, and
// persists the assignment and the queue's round-robin cursor itself.
package assign

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/problem"
)

// Presence is an operator's availability.
type Presence string

const (
	Online  Presence = "online"
	Away    Presence = "away"
	Offline Presence = "offline"
)

// Strategy is how a queue hands out its items.
type Strategy string

const (
	// Manual never assigns: supervisors or operators take items themselves.
	Manual Strategy = "manual"
	// RoundRobin gives items in turn to the online members, in the order of
	// their user ids, continuing after the member who got the previous item.
	RoundRobin Strategy = "round_robin"
	// LeastLoaded gives the item to the online member with the fewest open
	// items; among equals, to the one who has waited longest since their last
	// assignment, then in round-robin order.
	LeastLoaded Strategy = "least_loaded"
)

// ParseStrategy reads a strategy from an admin's input.
func ParseStrategy(s string) (Strategy, error) {
	switch st := Strategy(s); st {
	case Manual, RoundRobin, LeastLoaded:
		return st, nil
	}
	return "", problem.Field("strategy", "must be manual, round_robin or least_loaded")
}

// Member is one operator of the queue as the caller sees them now.
type Member struct {
	UserID   string
	Presence Presence
	// Load is the number of open items assigned to them (requests and tasks,
	// across queues if the caller counts them so).
	Load int
	// Capacity is the most open items they may hold; 0 means no limit.
	Capacity int
	// LastAssignedAt is when they last received an item; zero if never, which
	// counts as having waited longest.
	LastAssignedAt time.Time
}

// Eligible reports whether the member may receive an item now: online and
// below capacity. Away and offline operators never get one.
func (m Member) Eligible() bool {
	return m.Presence == Online && (m.Capacity == 0 || m.Load < m.Capacity)
}

// Queue is the input of a decision.
type Queue struct {
	Strategy Strategy
	Members  []Member
	// LastAssigned is the round-robin cursor: the user id that received the
	// queue's previous item. The caller stores it with the queue. It may name
	// someone no longer a member; the turn passes to the next id after it.
	LastAssigned string
}

// Reason explains a decision; safe for logs and metric labels.
type Reason string

const (
	Assigned      Reason = "assigned"
	ManualQueue   Reason = "manual"          // the queue does not auto-assign
	NoMembers     Reason = "no_members"      // the queue has nobody
	NobodyOnline  Reason = "nobody_online"   // every member is away or offline
	AllAtCapacity Reason = "all_at_capacity" // the online members are full
)

// Result is a decision. UserID is empty unless Reason is Assigned: then the
// item stays in the queue, unassigned.
type Result struct {
	UserID string
	Reason Reason
}

// OK reports whether someone was chosen.
func (r Result) OK() bool { return r.Reason == Assigned }

// Pick chooses the member for the queue's next item. Equal inputs give equal
// results whatever the order of Members. An error means the caller's data is
// inconsistent (unknown strategy, empty or repeated user id, negative load or
// capacity).
func Pick(q Queue) (Result, error) {
	if err := q.validate(); err != nil {
		return Result{}, err
	}
	if q.Strategy == Manual {
		return Result{Reason: ManualQueue}, nil
	}
	if len(q.Members) == 0 {
		return Result{Reason: NoMembers}, nil
	}
	order := rotation(q.Members, q.LastAssigned)
	var best *Member
	online := false
	for i := range order {
		m := &order[i]
		online = online || m.Presence == Online
		if !m.Eligible() {
			continue
		}
		if q.Strategy == RoundRobin {
			best = m
			break
		}
		// LeastLoaded: strictly better only, so that the rotation order
		// breaks the remaining ties.
		if best == nil || m.Load < best.Load || m.Load == best.Load && m.LastAssignedAt.Before(best.LastAssignedAt) {
			best = m
		}
	}
	switch {
	case best != nil:
		return Result{UserID: best.UserID, Reason: Assigned}, nil
	case online:
		return Result{Reason: AllAtCapacity}, nil
	}
	return Result{Reason: NobodyOnline}, nil
}

// Take picks like Pick and records the assignment in q as the caller would
// after persisting it: the member's load grows by one, their LastAssignedAt
// becomes now, and the cursor moves to them. It suits handing out a backlog.
func (q *Queue) Take(now time.Time) (Result, error) {
	r, err := Pick(*q)
	if err != nil || !r.OK() {
		return r, err
	}
	for i := range q.Members {
		if q.Members[i].UserID == r.UserID {
			q.Members[i].Load++
			q.Members[i].LastAssignedAt = now
		}
	}
	q.LastAssigned = r.UserID
	return r, nil
}

// rotation is the members in turn order: by user id, starting with the first
// id after the cursor and wrapping around. Sorting by id makes the order
// independent of how the caller listed them, and a departed member's cursor
// still has a place in it.
func rotation(ms []Member, cursor string) []Member {
	order := slices.Clone(ms)
	slices.SortFunc(order, func(a, b Member) int { return strings.Compare(a.UserID, b.UserID) })
	i, _ := slices.BinarySearchFunc(order, cursor, func(m Member, c string) int { return strings.Compare(m.UserID, c) })
	if i < len(order) && order[i].UserID == cursor {
		i++
	}
	out := make([]Member, 0, len(order))
	out = append(out, order[i:]...)
	return append(out, order[:i]...)
}

func (q Queue) validate() error {
	var errs []error
	switch q.Strategy {
	case Manual, RoundRobin, LeastLoaded:
	default:
		errs = append(errs, fmt.Errorf("assign: unknown strategy %q", q.Strategy))
	}
	seen := make(map[string]bool, len(q.Members))
	for i, m := range q.Members {
		switch {
		case m.UserID == "":
			errs = append(errs, fmt.Errorf("assign: member %d has no user id", i))
		case seen[m.UserID]:
			errs = append(errs, fmt.Errorf("assign: user %s is a member twice", m.UserID))
		}
		seen[m.UserID] = true
		if m.Load < 0 || m.Capacity < 0 {
			errs = append(errs, fmt.Errorf("assign: member %d has a negative load or capacity", i))
		}
	}
	return errors.Join(errs...)
}
