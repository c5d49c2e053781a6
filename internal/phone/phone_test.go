package phone

import "testing"

func TestNormalize(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"8 (343) 222-33-44", "+73432223344", true},
		{"+7 912 345-67-01", "+79123456701", true},
		{"89123456701", "+79123456701", true},
		{"9123456701", "+79123456701", true},
		{"  +7(343)2223344 ", "+73432223344", true},
		{"8 800 555-35-35", "+78005553535", true},
		{"+44 20 7946 0958", "+442079460958", true},
		{"123", "", false},
		{"", "", false},
		{"телефон", "", false},
		{"+7 912 345", "", false},
		{"8 (343) 222-33-44 8 (343) 222-33-44 8 (343) 222-33-44", "", false},
	}
	for _, c := range cases {
		got, err := Normalize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
