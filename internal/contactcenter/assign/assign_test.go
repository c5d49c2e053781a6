package assign

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/problem"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func online(id string) Member { return Member{UserID: id, Presence: Online} }

func mustPick(t *testing.T, q Queue) Result {
	t.Helper()
	r, err := Pick(q)
	if err != nil {
		t.Fatalf("Pick: %v", err)
	}
	return r
}

func mustTake(t *testing.T, q *Queue, now time.Time) Result {
	t.Helper()
	r, err := q.Take(now)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return r
}

func TestNobody(t *testing.T) {
	cases := []struct {
		name string
		q    Queue
		want Reason
	}{
		{"manual never auto-assigns", Queue{Strategy: Manual, Members: []Member{online("a")}}, ManualQueue},
		{"empty round-robin queue", Queue{Strategy: RoundRobin}, NoMembers},
		{"empty least-loaded queue", Queue{Strategy: LeastLoaded}, NoMembers},
		{"away and offline only", Queue{Strategy: RoundRobin, Members: []Member{
			{UserID: "a", Presence: Away}, {UserID: "b", Presence: Offline},
		}}, NobodyOnline},
		{"an unknown presence is not online", Queue{Strategy: LeastLoaded, Members: []Member{
			{UserID: "a", Presence: "busy"},
		}}, NobodyOnline},
		{"online ones are full", Queue{Strategy: LeastLoaded, Members: []Member{
			{UserID: "a", Presence: Online, Load: 3, Capacity: 3},
			{UserID: "b", Presence: Online, Load: 5, Capacity: 2},
			{UserID: "c", Presence: Away, Load: 0, Capacity: 5},
		}}, AllAtCapacity},
		{"round robin respects capacity too", Queue{Strategy: RoundRobin, Members: []Member{
			{UserID: "a", Presence: Online, Load: 1, Capacity: 1},
		}}, AllAtCapacity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustPick(t, c.q)
			if r.Reason != c.want || r.UserID != "" || r.OK() {
				t.Fatalf("Pick = %+v, want nobody because %s", r, c.want)
			}
			q := c.q
			if r2 := mustTake(t, &q, t0); r2 != r || q.LastAssigned != c.q.LastAssigned {
				t.Fatalf("Take = %+v and moved the cursor to %q", r2, q.LastAssigned)
			}
		})
	}
}

func TestEligibility(t *testing.T) {
	cases := []struct {
		m    Member
		want bool
	}{
		{Member{UserID: "a", Presence: Online}, true},
		{Member{UserID: "a", Presence: Online, Load: 1000}, true}, // 0 = unlimited
		{Member{UserID: "a", Presence: Online, Load: 2, Capacity: 3}, true},
		{Member{UserID: "a", Presence: Online, Load: 3, Capacity: 3}, false},
		{Member{UserID: "a", Presence: Away}, false},
		{Member{UserID: "a", Presence: Offline}, false},
	}
	for _, c := range cases {
		if got := c.m.Eligible(); got != c.want {
			t.Errorf("%+v Eligible = %v, want %v", c.m, got, c.want)
		}
	}
}

func TestRoundRobinOrder(t *testing.T) {
	members := []Member{online("c"), online("a"), {UserID: "b", Presence: Away}, online("d")}
	cases := []struct {
		cursor, want string
	}{
		{"", "a"},   // no history: the first id
		{"a", "c"},  // b is away
		{"c", "d"},  //
		{"d", "a"},  // wraps around
		{"bb", "c"}, // a departed member's cursor: the next id after it
		{"zz", "a"},
	}
	for _, c := range cases {
		r := mustPick(t, Queue{Strategy: RoundRobin, Members: members, LastAssigned: c.cursor})
		if r.UserID != c.want || !r.OK() {
			t.Errorf("cursor %q: got %+v, want %s", c.cursor, r, c.want)
		}
	}
}

func counts(t *testing.T, q *Queue, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := range n {
		r := mustTake(t, q, t0.Add(time.Duration(i)*time.Minute))
		if !r.OK() {
			t.Fatalf("item %d not assigned: %s", i, r.Reason)
		}
		got[r.UserID]++
	}
	return got
}

func within1(t *testing.T, got map[string]int, ids []string, n int) {
	t.Helper()
	sum, lo, hi := 0, n, 0
	for _, id := range ids {
		sum += got[id]
		lo, hi = min(lo, got[id]), max(hi, got[id])
	}
	if sum != n || hi-lo > 1 {
		t.Fatalf("distribution %v over %v: sum %d (want %d), spread %d", got, ids, sum, n, hi-lo)
	}
}

func TestRoundRobinFairness(t *testing.T) {
	ids := []string{"u1", "u2", "u3", "u4", "u5"}
	for _, n := range []int{1, 4, 5, 103, 1000} {
		var ms []Member
		for _, id := range ids {
			ms = append(ms, Member{UserID: id, Presence: Online, Load: 7}) // load does not matter to round robin
		}
		q := Queue{Strategy: RoundRobin, Members: ms, LastAssigned: "u3"}
		within1(t, counts(t, &q, n), ids, n)
	}
}

// Presence changes between items: away members are skipped, members coming
// back rejoin the rotation, and the online ones share fairly meanwhile.
func TestRoundRobinPresenceChanges(t *testing.T) {
	q := Queue{Strategy: RoundRobin, Members: []Member{online("a"), online("b"), online("c"), online("d")}}
	within1(t, counts(t, &q, 10), []string{"a", "b", "c", "d"}, 10)

	q.Members[1].Presence = Away
	q.Members[3].Presence = Offline
	got := counts(t, &q, 21)
	if got["b"] != 0 || got["d"] != 0 {
		t.Fatalf("away/offline members got items: %v", got)
	}
	within1(t, got, []string{"a", "c"}, 21)

	q.Members[1].Presence = Online
	within1(t, counts(t, &q, 30), []string{"a", "b", "c"}, 30)
}

func TestRoundRobinCapacity(t *testing.T) {
	q := Queue{Strategy: RoundRobin, Members: []Member{
		{UserID: "a", Presence: Online, Capacity: 2},
		{UserID: "b", Presence: Online},
		{UserID: "c", Presence: Online, Capacity: 1, Load: 1},
	}}
	got := counts(t, &q, 10)
	if got["a"] != 2 || got["b"] != 8 || got["c"] != 0 {
		t.Fatalf("capacity not respected: %v", got)
	}
	if q.Members[0].Load != 2 {
		t.Errorf("Take did not count the load: %+v", q.Members[0])
	}
}

func TestLeastLoaded(t *testing.T) {
	early, late := t0.Add(-2*time.Hour), t0.Add(-time.Minute)
	cases := []struct {
		name    string
		members []Member
		cursor  string
		want    string
	}{
		{"fewest open items", []Member{
			{UserID: "a", Presence: Online, Load: 3}, {UserID: "b", Presence: Online, Load: 1}, {UserID: "c", Presence: Online, Load: 2},
		}, "", "b"},
		{"the least loaded is away", []Member{
			{UserID: "a", Presence: Online, Load: 3}, {UserID: "b", Presence: Away, Load: 0}, {UserID: "c", Presence: Online, Load: 2},
		}, "", "c"},
		{"the least loaded is at capacity", []Member{
			{UserID: "a", Presence: Online, Load: 3}, {UserID: "b", Presence: Online, Load: 1, Capacity: 1}, {UserID: "c", Presence: Online, Load: 2},
		}, "", "c"},
		{"tie: longest idle wins", []Member{
			{UserID: "a", Presence: Online, Load: 1, LastAssignedAt: late},
			{UserID: "b", Presence: Online, Load: 1, LastAssignedAt: early},
			{UserID: "c", Presence: Online, Load: 4},
		}, "", "b"},
		{"tie: never assigned counts as idle longest", []Member{
			{UserID: "a", Presence: Online, Load: 1, LastAssignedAt: early},
			{UserID: "b", Presence: Online, Load: 1},
		}, "", "b"},
		{"full tie: rotation after the cursor", []Member{
			{UserID: "a", Presence: Online, Load: 1}, {UserID: "b", Presence: Online, Load: 1}, {UserID: "c", Presence: Online, Load: 1},
		}, "a", "b"},
		{"full tie: rotation wraps", []Member{
			{UserID: "a", Presence: Online, Load: 1}, {UserID: "b", Presence: Online, Load: 1}, {UserID: "c", Presence: Online, Load: 1},
		}, "c", "a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := Queue{Strategy: LeastLoaded, Members: c.members, LastAssigned: c.cursor}
			r := mustPick(t, q)
			if r.UserID != c.want || !r.OK() {
				t.Fatalf("Pick = %+v, want %s", r, c.want)
			}
			// Stable: the same input in another order gives the same answer.
			rev := slices.Clone(c.members)
			slices.Reverse(rev)
			if r2 := mustPick(t, Queue{Strategy: LeastLoaded, Members: rev, LastAssigned: c.cursor}); r2 != r {
				t.Fatalf("reordered members: %+v, want %+v", r2, r)
			}
		})
	}
}

// Handing out a backlog levels the loads: each item goes to a current minimum.
func TestLeastLoadedLevels(t *testing.T) {
	q := Queue{Strategy: LeastLoaded, Members: []Member{
		{UserID: "a", Presence: Online, Load: 5},
		{UserID: "b", Presence: Online, Load: 0},
		{UserID: "c", Presence: Online, Load: 2},
		{UserID: "d", Presence: Away, Load: 0},
	}}
	for i := range 22 {
		before := slices.Clone(q.Members)
		r := mustTake(t, &q, t0.Add(time.Duration(i)*time.Second))
		minLoad := 1 << 30
		for _, m := range before {
			if m.Eligible() {
				minLoad = min(minLoad, m.Load)
			}
		}
		for _, m := range before {
			if m.UserID == r.UserID && m.Load != minLoad {
				t.Fatalf("item %d went to %s with load %d, minimum was %d", i, m.UserID, m.Load, minLoad)
			}
		}
	}
	want := map[string]int{"a": 10, "b": 9, "c": 10, "d": 0}
	for _, m := range q.Members {
		if m.Load != want[m.UserID] {
			t.Errorf("%s load %d, want %d", m.UserID, m.Load, want[m.UserID])
		}
	}
}

// Equal loads with LastAssignedAt kept up to date by Take behave as a fair
// rotation.
func TestLeastLoadedFairnessOnTies(t *testing.T) {
	ids := []string{"a", "b", "c"}
	q := Queue{Strategy: LeastLoaded, Members: []Member{online("a"), online("b"), online("c")}}
	got := map[string]int{}
	for i := range 30 {
		r := mustTake(t, &q, t0.Add(time.Duration(i)*time.Minute))
		got[r.UserID]++
		// The item is closed at once: loads stay equal, only idleness decides.
		for j := range q.Members {
			if q.Members[j].UserID == r.UserID {
				q.Members[j].Load--
			}
		}
	}
	within1(t, got, ids, 30)
}

// Whatever the queue, a chosen member is eligible, least loaded wins a
// minimum, and nobody is chosen only when nobody qualifies.
func TestPickProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 26))
	presences := []Presence{Online, Online, Away, Offline}
	for range 3000 {
		var ms []Member
		for i := range rng.IntN(6) {
			ms = append(ms, Member{
				UserID:         string(rune('a' + i)),
				Presence:       presences[rng.IntN(len(presences))],
				Load:           rng.IntN(4),
				Capacity:       rng.IntN(4),
				LastAssignedAt: t0.Add(time.Duration(rng.IntN(3)) * time.Minute),
			})
		}
		strategy := []Strategy{RoundRobin, LeastLoaded}[rng.IntN(2)]
		q := Queue{Strategy: strategy, Members: ms, LastAssigned: string(rune('a' + rng.IntN(7)))}
		r := mustPick(t, q)
		anyEligible, minLoad := false, 1<<30
		for _, m := range ms {
			if m.Eligible() {
				anyEligible = true
				minLoad = min(minLoad, m.Load)
			}
		}
		if r.OK() != anyEligible {
			t.Fatalf("%+v: got %+v, eligible exists: %v", q, r, anyEligible)
		}
		if !r.OK() {
			continue
		}
		i := slices.IndexFunc(ms, func(m Member) bool { return m.UserID == r.UserID })
		if i < 0 || !ms[i].Eligible() {
			t.Fatalf("%+v: chose ineligible %s", q, r.UserID)
		}
		if strategy == LeastLoaded && ms[i].Load != minLoad {
			t.Fatalf("%+v: chose load %d, minimum %d", q, ms[i].Load, minLoad)
		}
		shuffled := slices.Clone(ms)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if r2 := mustPick(t, Queue{Strategy: strategy, Members: shuffled, LastAssigned: q.LastAssigned}); r2 != r {
			t.Fatalf("order-dependent: %+v vs %+v", r2, r)
		}
	}
}

func TestInvalidInput(t *testing.T) {
	cases := []struct {
		name string
		q    Queue
		want string
	}{
		{"unknown strategy", Queue{Strategy: "random"}, "unknown strategy"},
		{"no user id", Queue{Strategy: RoundRobin, Members: []Member{{Presence: Online}}}, "no user id"},
		{"member twice", Queue{Strategy: RoundRobin, Members: []Member{online("a"), online("a")}}, "twice"},
		{"negative load", Queue{Strategy: LeastLoaded, Members: []Member{{UserID: "a", Presence: Online, Load: -1}}}, "negative"},
		{"negative capacity", Queue{Strategy: LeastLoaded, Members: []Member{{UserID: "a", Presence: Online, Capacity: -1}}}, "negative"},
	}
	for _, c := range cases {
		if _, err := Pick(c.q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Pick error %v, want one saying %q", c.name, err, c.want)
		}
	}
}

func TestParseStrategy(t *testing.T) {
	for _, s := range []string{"manual", "round_robin", "least_loaded"} {
		if got, err := ParseStrategy(s); err != nil || string(got) != s {
			t.Errorf("ParseStrategy(%q) = %q, %v", s, got, err)
		}
	}
	_, err := ParseStrategy("Round-Robin")
	if problem.CodeOf(err) != problem.Invalid || problem.BodyOf(err).Errors[0].Field != "strategy" {
		t.Errorf("ParseStrategy refusal = %v", err)
	}
}
