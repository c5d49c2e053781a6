package gateway

import (
	"encoding/json"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestJoinFramesMakesOneMessage(t *testing.T) {
	a, b, c := []byte(`{"type":"a","data":1}`), []byte(`{"type":"b","data":[1,2]}`), []byte(`{"type":"c","data":{}}`)
	if got := joinFrames(nil); got != nil {
		t.Fatalf("no frames: %q", got)
	}
	if got := string(joinFrames([][]byte{a})); got != string(a) {
		t.Fatalf("one frame goes as it is, got %s", got)
	}
	// A message already joined is flattened into the next one.
	got := joinFrames([][]byte{joinFrames([][]byte{a, b}), c})
	var frames []Frame
	if err := json.Unmarshal(got, &frames); err != nil {
		t.Fatalf("not a JSON array: %s", got)
	}
	if len(frames) != 3 || frames[0].Type != "a" || frames[1].Type != "b" || frames[2].Type != "c" {
		t.Fatalf("frames %+v", frames)
	}
}

func TestBroadcastAllSendsEachClientWhatItMaySee(t *testing.T) {
	h := newHub(newMetrics(prometheus.NewRegistry()))
	client := func(perms ...string) *wsClient {
		c := &wsClient{user: User{ID: "u", Permissions: perms}, send: make(chan []byte, 4), kill: func() {}}
		c.permKey = joinPerms(perms)
		h.add(c)
		return c
	}
	full, masked, none := client("calls.read", "patients.read_pd"), client("calls.read"), client("requests.read")
	h.broadcastAll([]outFrame{
		{[]byte(`{"type":"full"}`), func(p []string) bool { return contains(p, "patients.read_pd") }},
		{[]byte(`{"type":"masked"}`), func(p []string) bool { return contains(p, "calls.read") && !contains(p, "patients.read_pd") }},
		{[]byte(`{"type":"board"}`), func(p []string) bool { return contains(p, "calls.read") }},
	})
	expect := func(c *wsClient, want string) {
		t.Helper()
		select {
		case got := <-c.send:
			if string(got) != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		default:
			if want != "" {
				t.Fatalf("nothing sent, want %s", want)
			}
		}
		if len(c.send) != 0 {
			t.Fatalf("more than one message for one push")
		}
	}
	expect(full, `[{"type":"full"},{"type":"board"}]`)
	expect(masked, `[{"type":"masked"},{"type":"board"}]`)
	expect(none, "")
}
